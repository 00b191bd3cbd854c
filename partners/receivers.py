"""Loaded at start (qinqing's app autodiscovers `receivers`): the OpenAPI description of
the partners' bearer tokens registers itself with drf-spectacular when imported."""

from . import schema  # noqa: F401
