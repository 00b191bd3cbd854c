"""Working time on the approvals pages: the project's own formatting
(qinqing_format.working_duration), so that every page reads time the same way."""

from django import template

from qinqing.templatetags.qinqing_format import working_duration

register = template.Library()


@register.filter
def working_time(seconds) -> str:
    """Office seconds as hours and minutes: "3 h 20 min"."""
    try:
        return working_duration(int(seconds))
    except (TypeError, ValueError):
        return ""
