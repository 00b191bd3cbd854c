"""Masking personal data (bank accounts, phone numbers) for pages, exports and the trail."""


def mask_digits(value: str, *, keep_start: int = 0, keep_end: int = 4) -> str:
    """'6222020200112233445' -> '***************3445'; short values are masked entirely."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[-keep_end:]
