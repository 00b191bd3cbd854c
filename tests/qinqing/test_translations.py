"""Every interface string has a Chinese translation, and the committed .mo matches the .po
(the .mo is committed so that a fresh machine needs no GNU gettext)."""

import gettext
import json
import re
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def po_entries() -> list[dict]:
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": "", "msgctxt": None}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = line
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?) (".*")$', line)
            if match:
                current = match.group(1)
                entry[current] = json.loads(match.group(2))
            elif line.startswith('"') and current:
                entry[current] += json.loads(line)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def test_every_string_is_translated_and_none_is_fuzzy():
    entries = po_entries()
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_source():
    with open(PO.with_suffix(".mo"), "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    for entry in po_entries():
        if "msgid_plural" in entry:
            assert (
                catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr[0]"]
            )
        elif entry["msgctxt"] is not None:
            assert catalogue.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"]
        else:
            assert catalogue.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]
