from typing import Any

from django import forms

from qinqing.forms import GuardedForm

from .registry import NOTIFICATION_KINDS as KINDS


class PreferencesForm(GuardedForm):
    """One row per kind, two checkboxes: in the portal, by e-mail."""

    def __init__(self, *args: Any, current: dict[str, tuple[bool, bool]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in KINDS.items():
            in_app, email = current.get(kind, (True, True))
            self.fields[f"{kind}:in_app"] = forms.BooleanField(
                label=label, required=False, initial=in_app
            )
            self.fields[f"{kind}:email"] = forms.BooleanField(
                label=label, required=False, initial=email
            )

    def rows(self) -> list[tuple[str, Any, forms.BoundField, forms.BoundField]]:
        return [(kind, label, self[f"{kind}:in_app"], self[f"{kind}:email"])
                for kind, label in KINDS.items()]  # fmt: skip

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {kind: (data[f"{kind}:in_app"], data[f"{kind}:email"]) for kind in KINDS}
