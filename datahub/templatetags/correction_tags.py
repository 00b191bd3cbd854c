"""A fact's provenance where its source is shown: a value corrected on a dispute says so
("corrected by dispute no. …, official, time"; datahub.corrections)."""

from typing import Any

from django import template

from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE
from datahub.corrections import corrections_of, provenance, provenance_text
from datahub.models import Subject
from enterprises.persons.models import Person

register = template.Library()


@register.filter
def correction_of(facts: Any, name: str) -> str:
    """`facts`: a FactSet (the calculator) or a decision's stored facts (a claim's JSON);
    empty unless the fact `name` was corrected on a dispute."""
    if hasattr(facts, "facts"):
        fact = facts.facts.get(name)
        return provenance_text(getattr(fact, "correction", None))
    if isinstance(facts, dict):
        entry = facts.get(name)
        return provenance_text(entry.get("correction") if isinstance(entry, dict) else None)
    return ""


@register.simple_tag
def corrections_for(subject: Any) -> list[dict[str, str]]:
    """`{% corrections_for enterprise as corrected %}` (or a person: their own "who read my
    data" page): the corrected facts, newest first, each with its value and provenance in
    the reader's language. The page has already scoped the subject to its reader."""
    is_person = isinstance(subject, Person)
    catalogue = PERSON_CATALOGUE if is_person else CATALOGUE
    rows = []
    for correction in corrections_of(
        subject.pk, Subject.PERSON if is_person else Subject.ENTERPRISE
    ):
        spec = catalogue.get(correction.fact)
        rows.append({
            "fact": spec.label if spec else correction.fact,
            "period": correction.period,
            "value": spec.display(correction.value) if spec else str(correction.value),
            "provenance": provenance_text(provenance(correction)),
        })  # fmt: skip
    return rows
