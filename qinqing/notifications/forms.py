from typing import Any

from django import forms

from qinqing.forms import GuardedForm

from .registry import kinds_for


class PreferencesForm(GuardedForm):
    """One row per kind the user can receive (registry.kinds_for: their side's and the
    shared ones), two checkboxes: in the portal, by e-mail."""

    def __init__(self, *args: Any, current: dict[str, tuple[bool, bool]], user: Any,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.kinds = kinds_for(user)
        for kind, entry in self.kinds:
            in_app, email = current.get(kind, (True, True))
            self.fields[f"{kind}:in_app"] = forms.BooleanField(
                label=entry.label, required=False, initial=in_app
            )
            self.fields[f"{kind}:email"] = forms.BooleanField(
                label=entry.label, required=False, initial=email
            )

    def rows(self) -> list[tuple[str, Any, forms.BoundField, forms.BoundField]]:
        return [(kind, entry.label, self[f"{kind}:in_app"], self[f"{kind}:email"])
                for kind, entry in self.kinds]  # fmt: skip

    def choices(self) -> dict[str, tuple[bool, bool]]:
        """Only the kinds shown: a kind of the other side keeps what was stored."""
        data = self.cleaned_data
        return {kind: (data[f"{kind}:in_app"], data[f"{kind}:email"]) for kind, _ in self.kinds}
