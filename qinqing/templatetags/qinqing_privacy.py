"""Personal data in free text (a request's description, an answer on a sheet), shown in
full to those who need it and masked for everyone else (qinqing.masking)."""

from typing import Any

from django import template

from qinqing.masking import mask_personal_data, needs_personal_data

register = template.Library()


@register.filter
def personal_for(value: Any, user: Any) -> Any:
    """{{ text|personal_for:user }}: the text as written, or with ID, phone and bank
    account numbers masked when `user` does not need them."""
    if value is None or needs_personal_data(user):
        return value
    return mask_personal_data(str(value))
