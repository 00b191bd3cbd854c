"""axe-core on every page of the enterprise's and the officials' journeys (issues #20, #21):
the pages bench/screenshots.py shoots, in Chinese and English, at 1,280 and 390 px, on one
small demo city. Any violation fails, named by page, language, width, rule and node.

axe-core comes from the PyPI package axe-playwright-python (it bundles axe.min.js, MPL-2.0),
injected through Playwright (no CDN, and the page's Content-Security-Policy does not apply).
"""

from io import StringIO

import pytest
from django.core.management import call_command

from bench.screenshots import JOURNEYS, LANGUAGES, WIDTHS, log_in, open_journey, resolve_targets
from tests.sandbox.conftest import migrated_rows  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_rows"),
]


def axe_violations(page, axe) -> list[str]:
    """axe-core's violations on the page as it stands, one line per rule and node."""
    results = axe.run(page).response
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — node "
        f"{', '.join(map(str, node['target']))}: {node['html'][:160]}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


@pytest.mark.long
def test_every_journey_page_has_no_axe_violation(browser, live_server):
    from axe_playwright_python.sync_playwright import Axe

    # A small city (the demo logins, their claims, applications, batch runs, a thin year of
    # history): every journey has its page, in a few seconds.
    out = StringIO()
    call_command("seed_demo_city", enterprises=40, scale=0.01, stdout=out, stderr=out)
    paths = resolve_targets(JOURNEYS)
    # The officials' pages that need the seed's finished work: the batch run (its run done
    # and paid by seed_demo_policies) and the published version that links to it.
    assert paths["batch-run"] and paths["policy-version"], paths
    axe = Axe()
    base = live_server.url
    order = sorted(JOURNEYS, key=lambda shot: [s.user for s in JOURNEYS].index(shot.user))
    problems: list[str] = []
    checked = 0
    for language, _name in LANGUAGES:
        for width, _label in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.set_default_timeout(15_000)
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            page = context.new_page()
            logged_in_as, login_error = "", None
            for shot in order:
                where = f"{shot.name} ({paths[shot.name]}) [{language}, {width} px]"
                if shot.user != logged_in_as:
                    login_error = log_in(page, base, shot.user)
                    logged_in_as = shot.user
                why = login_error or open_journey(page, base, shot, paths[shot.name], still=False)
                if why:
                    problems.append(f"{where}: not reached: {why}")
                    continue
                # The page is in the language asked for (else two languages were not checked).
                assert page.locator("html").get_attribute("lang").lower() == language, where
                problems += [f"{where}: {line}" for line in axe_violations(page, axe)]
                checked += 1
            context.close()
    assert checked, "no page was checked"
    assert not problems, f"{len(problems)} problems on {checked} pages:\n" + "\n".join(problems)
