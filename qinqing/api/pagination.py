from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class StandardPagination(PageNumberPagination):
    """One paging scheme for every list: ?page=N&page_size=M (at most 200: more is cut to
    200). A page_size that is not a positive whole number (`null`, empty, -1) is a 400
    naming it, as docs/api.md says of every bad parameter (DRF silently used 50)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        text = raw.strip()
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [
                    _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                ]}
            )  # fmt: skip
        if len(text) > 6:  # int() of thousands of digits is slow or refused: it is "more"
            return self.max_page_size
        return min(int(text), self.max_page_size)
