"""Both languages: reference data carries its Chinese and English names side by side; text
written for people to read later is stored in both (`in_languages`, `pick`); article
references and lists read in the reader's language (`article_ref`, `join_list`)."""

import re
from collections.abc import Iterable

from django.db import models
from django.utils import translation
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


# --- Text people read, in both languages -------------------------------------------------
#
# One mechanism: what the portal writes for people to read later (a notification, what a
# commitment will verify) is rendered at write time in every language of LANGUAGES and
# stored side by side — `field` in Chinese, `field_en` in English, like BilingualName —
# and `pick` shows the reader's. Rows written before the English column existed have it
# blank and show the Chinese. Text written from data at read time (article references,
# lists) goes through `article_ref` and `join_list`.

ENGLISH = "en"
CHINESE = "zh-hans"


def in_languages(text: object) -> dict[str, str]:
    """`text` (a plain string, a lazy msgid or a qinqing.notifications.text.Message)
    rendered in Chinese and in English: {"zh-hans": …, "en": …}. A plain string is the
    same in both (it was written by a person in one language)."""
    rendered = {}
    for language in (CHINESE, ENGLISH):
        with translation.override(language):
            rendered[language] = str(text) if text is not None else ""
    return rendered


def pick(chinese: str, english: str) -> str:
    """The stored text in the reader's language; the Chinese where no English was stored."""
    return chinese if prefers_chinese() or not english else english


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "[零〇一二两三四五六七八九十百千\\d]+"
_ARTICLE_ZH = re.compile(rf"第({_NUMERAL})条(?:第({_NUMERAL})款)?(?:第({_NUMERAL})项)?")
_ARTICLE_EN = re.compile(r"\bArt(?:icle|\.)\s*(\d+)((?:\(\d+\)){0,2})")


def chinese_number(text: str) -> int | None:
    """二十三 → 23, 一百零五 → 105, 十 → 10, "12" → 12; None when it is no number."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def number_in_chinese(number: int) -> str:
    """23 → 二十三, 105 → 一百零五, 10 → 十 (articles run from 1 to a few hundred)."""
    if number <= 0 or number >= 10000:
        return str(number)
    digits = "零一二三四五六七八九"
    parts, zero = [], False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        value, number = divmod(number, unit)
        if value:
            if zero:
                parts.append("零")
                zero = False
            parts.append(digits[value] + name)
        elif parts:
            zero = True
    words = "".join(parts)
    return words[1:] if words.startswith("一十") else words


def article_ref(text: object) -> str:
    """Article references in the reader's language: "第二条" ↔ "Art. 2", "第三条第一款" ↔
    "Art. 3(1)", also inside a longer citation ("杭政办〔2025〕1号 第三条" → "杭政办〔2025〕1号
    Art. 3"). Anything else is left as it is."""
    value = "" if text is None else str(text)
    if prefers_chinese():

        def chinese(match: re.Match[str]) -> str:
            numbers = re.findall(r"\d+", match[2] or "")
            words = f"第{number_in_chinese(int(match[1]))}条"
            for number, unit in zip(numbers, ("款", "项"), strict=False):
                words += f"第{number_in_chinese(int(number))}{unit}"
            return words

        return _ARTICLE_EN.sub(chinese, value)

    def english(match: re.Match[str]) -> str:
        numbers = [chinese_number(part) for part in match.groups() if part]
        if None in numbers:
            return match[0]
        return f"Art. {numbers[0]}" + "".join(f"({number})" for number in numbers[1:])

    return _ARTICLE_ZH.sub(english, value)


def join_list(items: Iterable[object], conjunction: bool = False) -> str:
    """Items as the reader's language lists them: "甲、乙、丙" in Chinese; "a, b, c" in
    English ("a, b and c" with `conjunction`)."""
    words = [str(item) for item in items if item is not None and str(item) != ""]
    if prefers_chinese():
        return "、".join(words)
    if conjunction and len(words) > 1:
        return f"{', '.join(words[:-1])} and {words[-1]}"
    return ", ".join(words)
