"""Masking personal data (ID numbers, bank accounts, phone numbers) for pages, exports, the
audit trail and the application's logs."""

import logging
import re
from typing import Any


def mask_digits(value: str, *, keep_start: int = 0, keep_end: int = 4) -> str:
    """'6222020200112233445' -> '***************3445'; short values are masked entirely."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[-keep_end:]


# Not inside a longer word or number: a USCC, a UUID or a hash is left alone.
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
# Resident identity card number: 6-digit area, birth date (18xx-20xx), 3 digits, check digit.
ID_NUMBER = re.compile(
    _EDGE_BEFORE + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
    r"[\dXx]" + _EDGE_AFTER
)
# Mobile numbers (11 digits from 13x to 19x, optionally after +86) and landlines (0571-...).
MOBILE = re.compile(_EDGE_BEFORE + r"(?:\+?86[- ]?)?1[3-9]\d{9}" + _EDGE_AFTER)
LANDLINE = re.compile(_EDGE_BEFORE + r"0\d{2,3}-\d{7,8}" + _EDGE_AFTER)
# Bank card and account numbers: 12 to 30 digits, possibly in groups of four.
BANK_ACCOUNT = re.compile(_EDGE_BEFORE + r"\d{4}(?:[ -]?\d){8,26}" + _EDGE_AFTER)


def mask_personal_data(text: str) -> str:
    """Every ID number, phone and bank account number in free text, masked: IDs keep the
    first six and last four characters, phones the first three and last four, accounts
    the last four."""
    if not text or not any(char.isdigit() for char in text):
        return text
    text = ID_NUMBER.sub(lambda m: mask_digits(m.group(), keep_start=6), text)
    text = MOBILE.sub(lambda m: mask_digits(m.group(), keep_start=3), text)
    text = LANDLINE.sub(lambda m: mask_digits(m.group(), keep_start=4), text)
    return BANK_ACCOUNT.sub(lambda m: mask_digits(m.group()), text)


class MaskPersonalDataFilter(logging.Filter):
    """A logging filter (settings.LOGGING, on every handler) that masks personal data in
    the message, its arguments and any traceback before a handler writes the record.

    The record is rewritten in place (message formatted, arguments dropped), so every
    handler after the first sees the masked text; it never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_personal_data(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


def mask_personal_data_in(value: Any) -> Any:
    """mask_personal_data over every string in a JSON-like value (answers, payloads)."""
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {key: mask_personal_data_in(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_personal_data_in(item) for item in value]
    return value


def needs_personal_data(user: Any) -> bool:
    """Whether `user` reads, in full, the personal data of the records it is shown.

    Those a record is about or addressed to need it: the enterprise's own people (and its
    partner clients) and the officials (and department clients) who handle it, to call
    back or pay. Auditors and administrators read every record but no one needs them to
    dial a number: they get it masked outside the back office (docs/security.md).
    """
    return bool(getattr(user, "is_authenticated", False)) and not getattr(
        user, "sees_everything", False
    )


def mask_name(name: str) -> str:
    """A person's name as a payment file or a list others read shows it: the family name
    (its first character) and a star for each other character, '陈小青' -> '陈**'."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)
