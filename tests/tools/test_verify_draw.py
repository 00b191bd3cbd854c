"""tools/verify.py recomputes a published draw from its downloaded files alone, in a Python
where Django cannot be imported, and tells a changed file or selection precisely."""

import hashlib
import json

import pytest

from tests.credit.draws import publish_campaign, run_draw
from tests.credit.test_inspections import campaign_for, manager, pool, population  # noqa: F401

from .verifier import run_verifier

pytestmark = pytest.mark.django_db

NAMES = ("draw.json", "population.txt", "selection.txt")


@pytest.fixture
def downloaded(client, population, manager, pool, tmp_path):  # noqa: F811
    campaign = campaign_for(manager, pool)
    publish_campaign(campaign.pk, actor=manager)
    run_draw(campaign.pk, actor=manager, public_value="3012.45")
    for name in NAMES:
        answer = client.get(f"/credit/draws/{campaign.pk}/{name}")  # anonymous: public
        assert answer.status_code == 200
        (tmp_path / name).write_bytes(answer.content)
    return tmp_path, population


def verify(folder, *extra):
    return run_verifier("draw", *NAMES, *extra, cwd=folder)


def test_the_verifier_recomputes_the_published_draw_without_django(downloaded):
    folder, enterprises = downloaded
    done = verify(folder, "--uscc", enterprises[3].uscc)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERIFIED" in done.stdout and "seed:" in done.stdout
    # Grade D is drawn whole (100 %): the enterprise finds itself in it and selected.
    assert "in the population (grade D); selected" in done.stdout
    assert "ModuleNotFoundError" not in done.stderr


def test_a_changed_selection_file_is_caught_by_its_hash(downloaded):
    folder, _population = downloaded
    lines = (folder / "selection.txt").read_text().splitlines()
    listed = (folder / "population.txt").read_text().splitlines()
    chosen = {row.split("\t")[2] for row in lines}
    other = next(row.split("\t")[1] for row in listed
                 if row.startswith("A\t") and row.split("\t")[1] not in chosen)  # fmt: skip
    lines[0] = f"A\t1\t{other}"
    (folder / "selection.txt").write_text("\n".join(lines) + "\n")
    done = verify(folder)
    assert done.returncode == 1 and "selection.txt" in done.stdout
    assert "SHA-256" in done.stdout and "changed" in done.stdout


def test_a_selection_changed_with_its_published_hash_is_not_the_draw(downloaded):
    folder, _population = downloaded
    lines = (folder / "selection.txt").read_text().splitlines()
    listed = (folder / "population.txt").read_text().splitlines()
    chosen = {row.split("\t")[2] for row in lines}
    other = next(row.split("\t")[1] for row in listed
                 if row.startswith("A\t") and row.split("\t")[1] not in chosen)  # fmt: skip
    lines[0] = f"A\t1\t{other}"
    (folder / "selection.txt").write_text("\n".join(lines) + "\n")
    description = json.loads((folder / "draw.json").read_text())
    description["files"]["selection"]["sha256"] = hashlib.sha256(
        (folder / "selection.txt").read_bytes()
    ).hexdigest()
    (folder / "draw.json").write_text(json.dumps(description))
    done = verify(folder)
    assert done.returncode == 1
    assert "grade A: the published selection is not the draw's" in done.stdout
    assert "1 drawn enterprises missing, 1 listed that were not drawn" in done.stdout


def test_a_reveal_that_does_not_match_its_commitment_is_named(downloaded):
    folder, _population = downloaded
    description = json.loads((folder / "draw.json").read_text())
    description["draw"]["reveals"]["supervisor"] = "another secret"
    (folder / "draw.json").write_text(json.dumps(description))
    done = verify(folder)
    assert done.returncode == 1
    assert "supervisor's reveal 'another secret' does not match its commitment" in done.stdout


def test_a_changed_public_value_changes_the_seed(downloaded):
    folder, _population = downloaded
    description = json.loads((folder / "draw.json").read_text())
    description["draw"]["public_value"] = "3012.46"
    (folder / "draw.json").write_text(json.dumps(description))
    done = verify(folder)
    assert done.returncode == 1 and "The seed recomputed is" in done.stdout


def test_unreadable_files_get_an_answer_not_a_traceback(downloaded):
    folder, _population = downloaded
    (folder / "draw.json").write_text("{not json")
    done = verify(folder)
    assert done.returncode == 2 and "CANNOT READ" in done.stdout and not done.stderr
