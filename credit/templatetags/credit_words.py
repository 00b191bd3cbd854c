"""Credit pages in words (credit.records.titles)."""

from django import template

from credit.records.titles import record_title, subject_words

register = template.Library()


@register.filter
def titled(record) -> str:
    """`{{ record|titled }}`: the record's title in words, not its internal references."""
    return record_title(record)


@register.filter
def subject(commitment) -> str:
    """`{{ commitment|subject }}`: what the commitment is about, in words."""
    return subject_words(commitment.subject_ref, commitment.get_subject_kind_display())
