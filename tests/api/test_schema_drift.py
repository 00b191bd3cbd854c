"""The committed OpenAPI contract (docs/openapi.yaml) is what the code serves.

Clients are generated from the committed file and the robustness suite fuzzes against it,
so an API change that is not committed with a regenerated schema fails here, with the
command that fixes it.
"""

import difflib
from pathlib import Path

from django.core.management import call_command
from drf_spectacular.drainage import reset_generator_stats
from drf_spectacular.management.commands.spectacular import SchemaGenerationError

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
REGENERATE = "make schema  (or: python manage.py spectacular --lang en --file docs/openapi.yaml)"
MAX_DIFF_LINES = 40


def generate_schema(path: Path) -> str:
    """The schema as `make schema` writes it: English, validated, failing on any warning."""
    # Warnings are counted process-wide (and each said once): an earlier test that served
    # /api/schema/ must neither fail this one nor hide a warning from it.
    reset_generator_stats()
    try:
        call_command(
            "spectacular", "--lang", "en", "--validate", "--fail-on-warn", "--file", str(path)
        )
    except SchemaGenerationError as error:
        raise AssertionError(
            f"drf-spectacular warned while generating the schema ({error}); the warnings are "
            f"in the captured stderr above, or run: {REGENERATE}. Fix them with "
            "@extend_schema / @extend_schema_field or type hints in the app's api.py."
        ) from None
    return path.read_text(encoding="utf-8")


def test_committed_schema_matches_the_code(tmp_path):
    generated = generate_schema(tmp_path / "openapi.yaml")
    assert COMMITTED.exists(), f"docs/openapi.yaml is missing; run: {REGENERATE}"
    committed = COMMITTED.read_text(encoding="utf-8")
    if generated == committed:
        return
    diff = list(
        difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            "docs/openapi.yaml (committed)",
            "generated from the code",
            lineterm="",
            n=1,
        )
    )
    shown = "\n".join(diff[:MAX_DIFF_LINES])
    more = (
        f"\n... {len(diff) - MAX_DIFF_LINES} more diff lines" if len(diff) > MAX_DIFF_LINES else ""
    )
    raise AssertionError(
        f"The API no longer matches the committed schema. If the change is intended, run:\n"
        f"    {REGENERATE}\nand commit docs/openapi.yaml.\n\n{shown}{more}"
    )


def test_schema_is_the_same_in_either_active_language(tmp_path):
    """Generation forces English: a run under Chinese gives the same bytes."""
    from django.utils import translation

    with translation.override("zh-hans"):
        generated = generate_schema(tmp_path / "zh.yaml")
    assert generated == generate_schema(tmp_path / "en.yaml")
