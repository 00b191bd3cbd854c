"""Bilingual reference data: records carry their Chinese and English names side by side."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def prefers_chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


class BilingualName(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_zh if prefers_chinese() else self.name_en
