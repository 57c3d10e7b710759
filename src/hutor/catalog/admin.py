from django.contrib import admin

from hutor.catalog.models import ServiceType, Tariff, TariffFeature, TariffPrice


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_ru",
        "name_en",
        "identifier_kind",
        "billing_unit",
        "position",
        "is_active",
    ]
    list_editable = ["position", "is_active"]


class TariffPriceInline(admin.TabularInline):
    model = TariffPrice
    extra = 0


class TariffFeatureInline(admin.TabularInline):
    model = TariffFeature
    extra = 0


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ru", "service_type", "server_group", "position", "is_active"]
    list_filter = ["service_type", "server_group", "is_active"]
    search_fields = ["code", "name_ru", "name_en"]
    inlines = [TariffPriceInline, TariffFeatureInline]


@admin.register(TariffPrice)
class TariffPriceAdmin(admin.ModelAdmin):
    list_display = [
        "tariff",
        "period_months",
        "price",
        "setup_fee",
        "restore_fee",
        "currency",
        "is_active",
    ]
    list_filter = ["tariff__service_type", "period_months", "currency"]
