from django.contrib import admin

from hutor.support.models import Department


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Departments are configuration: the rows tickets are sorted into."""

    list_display = ["code", "name_ru", "name_en", "position", "is_active"]
    list_editable = ["position", "is_active"]
