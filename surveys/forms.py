"""
The answer form. Forms validate and normalise; services store.

The ranking question travels as `ranking_1` … `ranking_N`, each holding an
area code: the wire format of the plain selects and of the enhanced
drag-to-rank widget alike.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .models import Level


class RankingWidget(forms.Widget):
    template_name = "surveys/widgets/ranking.html"

    def __init__(self, *, places: int, choices=(), attrs=None):
        super().__init__(attrs)
        self.places = places
        self.choices = list(choices)

    def subwidget_names(self, name):
        return [f"{name}_{place}" for place in range(1, self.places + 1)]

    def value_from_datadict(self, data, files, name):
        """
        Return one string per place, in order.

        Anything beyond the form we rendered (a repeated field, a place
        after the last one) is returned too, so that the field can reject
        it instead of silently dropping it.
        """
        values: list[str] = []
        for key in self.subwidget_names(name):
            submitted = data.getlist(key) if hasattr(data, "getlist") else [data.get(key, "")]
            values.extend(submitted if submitted else [""])
        extra_keys = [k for k in data if k.startswith(f"{name}_") and k not in self.subwidget_names(name)]
        for key in sorted(extra_keys):
            values.extend(data.getlist(key) if hasattr(data, "getlist") else [data[key]])
        return values

    def value_omitted_from_data(self, data, files, name):
        return not any(key in data for key in self.subwidget_names(name))

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = list(value or [])
        places = []
        for place, sub_name in enumerate(self.subwidget_names(name), start=1):
            selected = value[place - 1] if place - 1 < len(value) else ""
            places.append(
                {
                    "number": place,
                    "name": sub_name,
                    "id": f"{context['widget']['attrs'].get('id', 'id_' + name)}_{place}",
                    "selected": selected,
                }
            )
        context["widget"].update(
            {
                "places": places,
                "choices": self.choices,
                "count": self.places,
                "strings": self.interface_strings(),
                "strings_id": f"{name}-strings",
            }
        )
        return context

    def interface_strings(self) -> dict:
        """Texts for the enhanced widget (static/surveys/ranking.js), in the active language."""
        return {
            "chosenHeading": gettext("Your ranking ({n} of {count})"),
            "poolHeading": gettext("Other areas"),
            "instructions": gettext(
                "Add the areas in order of importance: the first one you add gets place 1. "
                "Use the buttons to move or remove them. With a mouse or a finger you can also drag them."
            ),
            "keyboard": gettext(
                "With the keyboard: Tab goes to your ranking, to the other areas and on to the next question. "
                "In a list, the up and down arrows go from area to area, left and right from button to button, "
                "and Enter or Space presses the button. In your ranking, Alt with the up or down arrow moves "
                "an area and Delete removes it."
            ),
            "empty": gettext("No area chosen yet."),
            "place": gettext("Place {n}"),
            "add": gettext("Add"),
            "moveUp": gettext("Move up"),
            "moveDown": gettext("Move down"),
            "remove": gettext("Remove"),
            "added": gettext("{area} added in place {n} of {count}."),
            "removed": gettext("{area} removed. {n} of {count} chosen."),
            "moved": gettext("{area} moved to place {n} of {count}."),
            "full": gettext(
                "{area} was not added: {count} areas are already chosen. To swap, first remove one of them "
                "(its “Remove” button, or drag it back to the list of areas), then add {area}."
            ),
            "alreadyFirst": gettext("{area} is already in place 1."),
            "alreadyLast": gettext("{area} is already in the last place."),
        }


class RankingField(forms.Field):
    """Exactly `places` distinct areas of one survey, most important first."""

    default_error_messages = {
        "missing": _("Choose an area for place %(places)s."),
        "invalid_choice": _("Place %(place)s holds something that is not one of the areas."),
        "duplicate": _("“%(area)s” is chosen more than once. Choose each area only once."),
        "too_many": _("Rank exactly %(count)s areas, no more."),
        "required": _("Choose and rank the %(count)s areas that matter most to you."),
    }

    def __init__(self, *, areas, places: int, **kwargs):
        self.areas = list(areas)
        self.places = places
        self.by_code = {area.code: area for area in self.areas}
        kwargs.setdefault("widget", RankingWidget(places=places, choices=[(a.code, a.title) for a in self.areas]))
        super().__init__(**kwargs)

    def to_python(self, value):
        return [str(v).strip() for v in (value or [])]

    def validate(self, value):
        # Checks are done in clean(), which returns Area objects.
        pass

    def clean(self, value):
        values = self.to_python(value)
        if len(values) > self.places:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"count": self.places}
            )
        values += [""] * (self.places - len(values))
        if not any(values):
            raise forms.ValidationError(
                self.error_messages["required"], code="required", params={"count": self.places}
            )
        errors = []
        missing = [str(place) for place, code in enumerate(values, start=1) if not code]
        if missing:
            errors.append(
                forms.ValidationError(
                    self.error_messages["missing"], code="missing", params={"places": _join(missing)}
                )
            )
        seen = set()
        areas = []
        for place, code in enumerate(values, start=1):
            if not code:
                continue
            area = self.by_code.get(code)
            if area is None:
                errors.append(
                    forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"place": place}
                    )
                )
                continue
            if code in seen:
                errors.append(
                    forms.ValidationError(
                        self.error_messages["duplicate"], code="duplicate", params={"area": area.title}
                    )
                )
                continue
            seen.add(code)
            areas.append(area)
        if errors:
            raise forms.ValidationError(errors)
        return areas


def _join(numbers: list[str]) -> str:
    if len(numbers) == 1:
        return numbers[0]
    return ngettext("%(first)s and %(last)s", "%(first)s and %(last)s", len(numbers)) % {
        "first": ", ".join(numbers[:-1]),
        "last": numbers[-1],
    }


class AnswerForm(forms.Form):
    ranking = RankingField(areas=[], places=5)
    level = forms.ChoiceField(
        label=_("Do you work in a municipality or a region?"),
        choices=Level.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Tell us whether you work in a municipality or a region.")},
    )

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        areas = list(survey.areas.all())
        self.fields["ranking"] = RankingField(
            areas=areas,
            places=survey.rank_count,
            label=_("Choose and rank the %(count)s most important of these %(total)s areas")
            % {"count": survey.rank_count, "total": len(areas)},
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field("ranking", template="surveys/fields/ranking_field.html"),
            Field("level"),
            Submit("submit", _("Send my answer"), css_class="btn-primary btn-lg"),
        )
