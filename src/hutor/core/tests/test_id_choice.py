"""IdChoiceField: a choice is posted as its id in ASCII digits, or it is not a choice."""

import pytest
from django import forms
from django.contrib.auth import get_user_model

from hutor.core.forms import IdChoiceField

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


class Pick(forms.Form):
    user = IdChoiceField(queryset=get_user_model().objects.all())


@pytest.mark.django_db
def test_an_existing_id_in_other_digits_is_not_a_choice():
    user = get_user_model().objects.create_user("pick@example.com", "x")
    assert (
        forms.ModelChoiceField(queryset=get_user_model().objects.all()).clean(
            str(user.pk).translate(ARABIC_INDIC)
        )
        == user
    )  # what Django's own field does
    form = Pick({"user": str(user.pk).translate(ARABIC_INDIC)})
    assert not form.is_valid()
    assert form.errors["user"][0].startswith(("Select a valid choice", "Выберите корректный"))
    assert Pick({"user": str(user.pk)}).is_valid()
    assert not Pick({"user": "-1"}).is_valid()
