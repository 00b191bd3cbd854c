"""Input limits shared by credit's forms, serialisers and services, and the page size."""

TITLE_MAX = 200
TEXT_MAX = 2000
PAGE_SIZE = 25
