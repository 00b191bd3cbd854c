"""Screenshot the enterprise's and the officials' journeys (issues #20 and #21) in both
languages, wide (1,280 px) and narrow (390 px), into docs/screenshots/, and write their list
to docs/screenshots.md.

Needs the demo data (`make screenshots` seeds it) and Chromium at /usr/bin/chromium. Starts
its own development server on a free port. A page that cannot be reached (a 404, a demo row
that is missing, a button that moved) is reported at the end and skipped, never fatal.

SCREENSHOT_PAGES=claim,dashboards shoots only the pages whose names start so;
SCREENSHOT_SET=all adds the older pages (log-in error, registers, API docs, queues...).
tests/e2e/test_accessibility.py runs axe-core on the same JOURNEYS.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qinqing.browser import launch_chromium  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
LIST = ROOT / "docs" / "screenshots.md"
PASSWORD = "qinqing-demo-2026"  # noqa: S105 - the printed demo password
LANGUAGES = (("zh-hans", "中文"), ("en", "English"))
WIDTHS = ((1280, "wide"), (390, "narrow"))
NOTES = "## Looked at"  # docs/screenshots.md's hand-written part, kept by write_list


@dataclass(frozen=True)
class Shot:
    """One page of a journey: who looks at it, how it is reached, and what it shows.

    `target` is a path, or an "@name" that `resolve_targets` turns into a path from the demo
    data (a paid claim of the demo enterprise...); `act` is what to do on the page before
    the picture ("errors": send the form empty; "charts": wait for the charts;
    "focus:<selector>": picture the page from that element down; "submit:<selector>": send
    that form, picture the answer)."""

    name: str
    user: str | None
    target: str
    shows: str
    side: str = "enterprise"
    act: str = ""


JOURNEYS: list[Shot] = [
    # The enterprise's journeys (issue #20), as the demo login `enterprise` (or `founder`).
    Shot("enterprise-home", "enterprise", "/", "the signed-in home: what to do next"),
    Shot("policy-calculator", "enterprise", "/policies/calculator/",
         "which policies fit, and each one's state (paid, offered, claim now)"),
    Shot("claim-paid", "enterprise", "@claim-paid",
         "a paid claim: criteria with their sources, the amount's formula, the payment"),
    Shot("claim-ineligible", "enterprise", "@claim-ineligible",
         "an ineligible claim: the fact that failed, who holds it, what to do next"),
    Shot("data-access", "enterprise", "@data-access",
         "who read the enterprise's data, for what purpose"),
    Shot("credit-enterprise", "enterprise", "@credit-page",
         "the enterprise's credit: grade, score, records, repair"),
    Shot("approvals-commitment", "enterprise", "@approval-commitment",
         "the credit commitment of a project application (hash wraps)"),
    Shot("approvals-sheet", "enterprise", "@approval-sheet",
         "the combined approval sheet (draft), prefilled answers"),
    Shot("approvals-tracker", "enterprise", "@approval-tracker",
         "an application's progress: items on the working-hours clock"),
    Shot("establishment", "founder", "@establishment",
         "a founder's enterprise establishment application"),
    Shot("requests-new-errors", "enterprise", "/requests/new/",
         "the direct-line form sent empty: error summary, each error once", act="errors"),
    Shot("notifications", "enterprise", "/notifications/",
         "the enterprise's notifications and preferences"),
    # Issues #22 and #23 (seed_demo_cases): disputes, recovery, near misses, receipts.
    Shot("dispute", "enterprise", "@dispute",
         "a fact dispute raised from an ineligible claim, corrected by the department"),
    Shot("claim-receipt", "enterprise", "@claim-receipt",
         "the disputed claim, paid by the re-evaluation, with its signed decision receipt"),
    Shot("recovery-order", "enterprise", "@recovery-order",
         "a recovery order: amount, grounds, what was offset, what is owed, next steps"),
    Shot("calculator-near-miss", "enterprise", "@calculator-near-miss",
         "the calculator's near-miss advice and \"tell me when I qualify\"",
         act="focus:.result-ineligible"),
    Shot("watches", "enterprise", "/policies/watches/",
         "the policies the enterprise asked to be told about"),
    # The officials' journeys (issue #21).
    Shot("official-workspace", "hrss_city", "/official/",
         "an official's work queue", side="official"),
    Shot("policy-manage", "hrss_city", "/policies/manage/",
         "the department's policies", side="official"),
    Shot("policy-builder", "hrss_city", "@policy-builder",
         "the rule builder on a draft version", side="official"),
    Shot("policy-forecast", "hrss_city", "@policy-forecast",
         "a version's forecast: cost and reach by district, industry, size",
         side="official"),
    Shot("policy-version", "hrss_city", "@policy-version",
         "a published version: readable rules, tests, its batch run", side="official"),
    Shot("batch-run", "hrss_city", "@batch-run",
         "a batch run: progress, amount paid, times", side="official"),
    Shot("disputes-queue", "housing_city", "/disputes/queue/",
         "the fact disputes waiting for the department, by time left", side="official"),
    Shot("dispute-decide", "housing_city", "@dispute-open",
         "an open dispute as the department sees it: the clock, confirm or correct",
         side="official"),
    Shot("dashboards-overview", "auditor", "/dashboards/",
         "the dashboards' overview (city-wide)", side="official", act="charts"),
    *(
        Shot(f"dashboards-{key}", "auditor", f"/dashboards/{key}/",
             f"the dashboards' {key} section", side="official", act="charts")
        for key in ("funds", "approvals", "credit", "requests", "data")
    ),
    # An employee, as a person (issue #26): their profile, who read their data, their subsidies.
    Shot("person-profile", "person", "/me/",
         "a person's profile: the masked identity number, what the departments hold",
         side="person"),
    Shot("person-data-access", "person", "/me/data-access/",
         "who read a person's data, for what purpose", side="person"),
    Shot("person-subsidies", "person", "/me/subsidies/",
         "a person's subsidies: the rent subsidy paid (reference, account masked), the "
         "open policies for employees", side="person"),
    Shot("person-subsidies-check", "person", "/me/subsidies/",
         "which open policies for employees the person qualifies for, each reason given "
         "(after they ask: each read logged)", side="person", act="submit:#check-subsidies"),
    Shot("person-claim", "person", "@person-claim",
         "one subsidy of a person: its steps, its reasons (facts about them to dispute, "
         "the employer's), its payment", side="person"),
    Shot("person-dispute-new", "person", "@person-dispute-new",
         "a person disputes a fact about themself (from their subsidy's reasons)",
         side="person"),
    # A policy paying persons: the employer's roster, and the department's read-only view.
    Shot("roster", "enterprise", "@roster",
         "the employees the data finds qualifying: the employer ticks who has left"),
    Shot("roster-official", "housing_city", "@roster",
         "the same roster as the department's official reads it: no form to confirm",
         side="official"),
    # Anyone, without logging in (issue #23).
    Shot("draws-index", None, "/credit/draws/",
         "the public index of inspection draws", side="public"),
    Shot("draw-page", None, "@draw",
         "one draw: commitments, reveals, public value, strata, files to recompute it",
         side="public"),
]  # fmt: skip

# The older pages (SCREENSHOT_SET=all): (file name, user or None, path).
MORE = [
    ("home-anonymous", None, "/"),
    ("login-error", None, "/accounts/login/?demo=error"),
    ("enterprise-home", "enterprise", "/"),
    ("enterprise-detail", "enterprise", "@first-enterprise"),
    ("enterprise-contact-error", "enterprise", "@contact-error"),
    ("official-workspace", "market_xihu", "/official/"),
    ("official-register", "tax_city", "/enterprises/?industry_section=C"),
    ("api-docs", "tax_city", "/api/docs/"),
    ("data-calls", "tax_city", "/official/data-calls/"),
    ("data-interfaces", "tax_city", "/data/interfaces/"),
    ("data-access", "enterprise", "@data-access"),
    ("policy-catalog", None, "/policies/"),
    ("policy-detail", None, "/policies/stable-jobs-2026/"),
    ("policy-calculator", "enterprise", "/policies/calculator/"),
    ("claim-paid", "enterprise", "@claim"),
    ("policy-manage", "hrss_city", "/policies/manage/"),
    ("policy-version", "hrss_binjiang", "@policy-version"),
    ("policy-builder-error", "hrss_city", "@builder-error"),
    ("claims-official", "hrss_city", "/claims/"),
    ("batch-run", "hrss_city", "@batch-run"),
    ("reconciliation", "hrss_city", "/claims/reconciliation/"),
    ("review-queue", "science_city", "/claims/review/"),
    ("claims-enterprise", "enterprise", "/claims/"),
    ("claim-batch", "enterprise", "@batch-claim"),
    ("notifications", "enterprise", "/notifications/"),
    ("approvals-list", "enterprise", "/approvals/"),
    ("approvals-sheet", "enterprise", "@approval-draft"),
    ("approvals-sheet-error", "enterprise", "@approval-sheet-error"),
    ("approvals-review", "enterprise", "@approval-review"),
    ("approvals-tracker", "enterprise", "@approval-tracker"),
    ("approvals-commitment", "enterprise", "@approval-commitment"),
    ("approvals-queue", "construction_city", "/approvals/review/"),
    ("approvals-overdue", "ndrc_city", "/approvals/review/overdue/"),
    ("approvals-verifications", "ndrc_city", "/approvals/review/verifications/"),
    ("approvals-item", "ecology_city", "@approval-item"),
    ("approvals-registered", "founder", "@approval-registered"),
    ("approvals-permit", "founder", "@approval-permit"),
    ("approvals-permit-print", "founder", "@approval-permit-print"),
    ("permit-verify", None, "@permit-verify"),
    ("credit-records", "market_xihu", "/credit/records/"),
    ("credit-lists", "market_xihu", "/credit/lists/"),
    ("credit-campaigns", "market_xihu", "/credit/campaigns/"),
    ("credit-campaign-new", "market_xihu", "/credit/campaigns/new/"),
    ("credit-repairs", "enterprise", "/credit/repairs/"),
    ("requests-new", "enterprise", "/requests/new/"),
    ("requests-list", "enterprise", "/requests/"),
    ("requests-queue", "tax_city", "/requests/queue/"),
    ("requests-answers", None, "/requests/answers/"),
    ("dashboards-overview", "tax_city", "/dashboards/"),
    ("dashboards-city", "auditor", "/dashboards/"),
    ("dashboards-funds", "auditor", "/dashboards/funds/"),
    ("dashboards-approvals", "auditor", "/dashboards/approvals/"),
    ("dashboards-requests", "market_xihu", "/dashboards/requests/"),
    ("dashboards-filter-error", "auditor", "/dashboards/?period=2026-13"),
]


def selected() -> list[Shot]:
    shots = list(JOURNEYS)
    if os.environ.get("SCREENSHOT_SET") == "all":
        taken = {shot.name for shot in shots}
        shots += [Shot(name, user, path, "", side="more") for name, user, path in MORE
                  if name not in taken]  # fmt: skip
    only = [prefix for prefix in os.environ.get("SCREENSHOT_PAGES", "").split(",") if prefix]
    if only:
        shots = [shot for shot in shots if shot.name.startswith(tuple(only))]
    return shots


def resolve_targets(shots: list[Shot]) -> dict[str, str | None]:
    """Each journey's path, read from the demo data with the ORM (Django set up by the
    caller); None where the demo has no such row. Paths only: nothing is written."""
    from accounts.models import User
    from approvals.models import Application
    from credit.inspections.models import CampaignStatus, InspectionCampaign
    from disputes.models import Dispute, DisputeStatus
    from enterprises.models import Enterprise
    from policies.models import PolicyVersion, QualifyWatch, VersionStatus
    from recovery.models import RecoveryOrder
    from subsidies.models import BatchRun, Claim, ClaimStatus

    def first(queryset, pattern: str, attr: str = "pk") -> str | None:
        row = queryset.order_by("pk").first()
        return None if row is None else pattern.format(getattr(row, attr))

    demo = User.objects.filter(username="enterprise").first()
    claims = Claim.objects.filter(enterprise__memberships__user=demo)
    applications = Application.objects.filter(applicant=demo, package__code="industrial-project")
    official = User.objects.filter(username="hrss_city").first()
    versions = PolicyVersion.objects.filter(
        policy__department_id=getattr(official, "department_id", None)
    )
    published = versions.filter(status=VersionStatus.PUBLISHED)
    with_run = published.filter(batch_run__isnull=False)
    enterprise = claims.filter(status=ClaimStatus.PAID).order_by("pk").first()
    enterprise = enterprise.enterprise if enterprise else None
    if enterprise is None:
        enterprise = Enterprise.objects.filter(memberships__user=demo).order_by("pk").first()
    corrected = Dispute.objects.filter(
        enterprise__memberships__user=demo, status=DisputeStatus.CORRECTED, claim_id__isnull=False
    )
    watch = QualifyWatch.objects.filter(enterprise__memberships__user=demo).order_by("pk").first()
    # The demo person's subsidy (the employee rent subsidy's batch run pays them).
    person_claims = Claim.objects.filter(person__user__username="person").order_by("pk")
    person_claim = person_claims.filter(status=ClaimStatus.PAID).first() or person_claims.first()
    # A persons' claim of the demo enterprise: its roster (the employer's, read by housing).
    roster_claim = (Claim.objects.filter(person__isnull=False, enterprise__memberships__user=demo)
                    .order_by("pk").first())  # fmt: skip
    found = {
        "@dispute": lambda: first(corrected, "/disputes/{}/"),
        "@dispute-open": lambda: first(
            Dispute.objects.filter(department__code="housing", status=DisputeStatus.RAISED),
            "/disputes/queue/{}/",
        ),
        "@claim-receipt": lambda: first(corrected, "/claims/{}/", "claim_id"),
        "@recovery-order": lambda: first(
            RecoveryOrder.objects.filter(enterprise__memberships__user=demo), "/recovery/{}/"
        ),
        "@calculator-near-miss": lambda: watch
        and f"/policies/calculator/?uscc={watch.enterprise.uscc}",
        "@draw": lambda: first(
            InspectionCampaign.objects.filter(status=CampaignStatus.DRAWN), "/credit/draws/{}/"
        ),
        "@claim-paid": lambda: first(claims.filter(status=ClaimStatus.PAID), "/claims/{}/"),
        "@person-claim": lambda: person_claim and f"/me/subsidies/{person_claim.pk}/",
        "@roster": lambda: roster_claim
        and f"/claims/rosters/{roster_claim.version_id}/{roster_claim.enterprise_id}/",
        "@person-dispute-new": lambda: person_claim and (
            f"/disputes/new/?from=claim&claim={person_claim.pk}&fact=person.housing.owns_home"
        ),
        # A claim decided now (with its criteria) before one of the generated history.
        "@claim-ineligible": lambda: first(
            claims.filter(status=ClaimStatus.INELIGIBLE).exclude(decision__source="generated"),
            "/claims/{}/",
        )
        or first(claims.filter(status=ClaimStatus.INELIGIBLE), "/claims/{}/"),
        "@data-access": lambda: enterprise and f"/enterprises/{enterprise.uscc}/data-access/",
        "@credit-page": lambda: enterprise and f"/credit/enterprises/{enterprise.uscc}/",
        "@approval-commitment": lambda: first(
            applications.filter(title__startswith="年产5万台电机") or
            applications.filter(status="in_review"), "/approvals/{}/commitment/",
        ),
        "@approval-sheet": lambda: first(applications.filter(status="draft"),
                                         "/approvals/{}/edit/"),
        "@approval-tracker": lambda: first(
            applications.filter(title__startswith="年产5万台电机") or
            applications.filter(status="in_review"), "/approvals/{}/",
        ),
        "@establishment": lambda: first(
            Application.objects.filter(applicant__username="founder",
                                       package__code="enterprise-establishment"),
            "/approvals/{}/",
        ),
        "@policy-builder": lambda: first(versions.filter(status=VersionStatus.DRAFT),
                                         "/policies/manage/versions/{}/edit/")
        or "@new-draft",
        "@policy-forecast": lambda: first(published, "/policies/manage/versions/{}/?forecast=1"),
        "@policy-version": lambda: first(with_run, "/policies/manage/versions/{}/")
        or first(published, "/policies/manage/versions/{}/"),
        "@batch-run": lambda: first(
            BatchRun.objects.filter(version__in=published), "/claims/batches/{}/"
        ),
    }  # fmt: skip
    paths: dict[str, str | None] = {}
    for shot in shots:
        if not shot.target.startswith("@"):
            paths[shot.name] = shot.target
        elif shot.target in found:
            paths[shot.name] = found[shot.target]() or None
        else:  # an older page's "@" route, reached by clicking (visit_more)
            paths[shot.name] = shot.target
    return paths


def log_in(page, base: str, user: str | None) -> str | None:
    """Log `user` in on this page's context (or log out); an error message, or None."""
    context = page.context
    cookies = [c for c in context.cookies() if c["name"] == "django_language"]
    context.clear_cookies()
    context.add_cookies(cookies)
    if not user:
        return None
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/login/" in page.url:
        return f"could not log in as {user}"
    return None


def open_journey(
    page, base: str, shot: Shot, path: str | None, *, still: bool = True
) -> str | None:
    """Bring the page of `shot` into view; an error message if it cannot be reached.

    `still`: wait for the charts' animation and the network to settle (for a picture; a
    check of the page's structure needs neither)."""
    page.emulate_media(media="screen")
    if path is None:
        return "the demo data has no such page (run `make seed`)"
    try:
        if shot.side == "more":
            visit_more(page, base, path)
            return None
        if path == "@new-draft":  # no draft yet: "New version" on the first policy
            page.goto(base + "/policies/manage/")
            page.click("main form button >> nth=0")
            page.wait_for_load_state()
            if "/edit/" not in page.url:
                return f"no draft version to edit (landed on {page.url})"
        else:
            response = page.goto(base + path)
            if response is None or response.status >= 400:
                return f"{path} answered {response.status if response else 'nothing'}"
        if shot.act == "errors":
            page.click("main form button[name=send]")
            page.wait_for_load_state()
        elif shot.act.startswith("submit:"):  # a page answered to a POST (a person's check)
            page.click(shot.act.removeprefix("submit:") + " button[type=submit]")
            page.wait_for_load_state()
        elif shot.act == "charts":
            # Charts draw after the page loads, then animate for about a second.
            page.wait_for_function(
                "() => [...document.querySelectorAll('.chart')]"
                ".every(c => c.querySelector('canvas'))",
                timeout=10_000,
            )
            if still:
                page.wait_for_timeout(1200)
        if still:
            page.wait_for_load_state("networkidle")
    except Exception as error:  # a page that moved is reported, not fatal
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    import django

    django.setup()
    OUT.mkdir(parents=True, exist_ok=True)
    shots = selected()
    paths = resolve_targets(shots)
    # The failed log-in shot (SCREENSHOT_SET=all) would otherwise lock its username out.
    subprocess.run(
        [sys.executable, "manage.py", "axes_reset"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBUG": "true"},
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DEBUG": "true"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        began = time.perf_counter()
        missing = shoot(base, shots, paths)
    finally:
        server.terminate()
    if not os.environ.get("SCREENSHOT_PAGES") and os.environ.get("SCREENSHOT_SET") != "all":
        write_list(shots, missing)
    print(f"{len(shots) * 4 - len(missing)} screenshots in {time.perf_counter() - began:.0f} s")
    for (name, language, label), why in sorted(missing.items()):
        print(f"NOT TAKEN {name}.{language}.{label}: {why}", file=sys.stderr)


def shoot(base: str, shots: list[Shot], paths: dict[str, str | None]) -> dict:
    """Every shot in each language and width, one browser, one log-in per user and context;
    returns what could not be taken, with why."""
    from playwright.sync_api import sync_playwright

    missing: dict[tuple[str, str, str], str] = {}
    # One log-in per user: the shots grouped by who looks at them, in the list's order.
    order = sorted(shots, key=lambda shot: [s.user for s in shots].index(shot.user))
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for language, _label in LANGUAGES:
            for width, label in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.set_default_timeout(15_000)
                context.add_cookies([{"name": "django_language", "value": language, "url": base}])
                page = context.new_page()
                logged_in_as, login_error = "", None
                for shot in order:
                    if shot.user != logged_in_as:
                        login_error = log_in(page, base, shot.user)
                        logged_in_as = shot.user
                    why = login_error or open_journey(page, base, shot, paths[shot.name])
                    if why:
                        missing[(shot.name, language, label)] = why
                        continue
                    target = OUT / f"{shot.name}.{language}.{label}.png"
                    # Whole page unless it is a long list; then the first two screens.
                    height = page.evaluate("document.body.scrollHeight")
                    clip = None
                    if height > 1800:
                        clip = {"x": 0, "y": 0, "width": width, "height": 1800}
                    if shot.act.startswith("focus:"):  # from the part the shot is about
                        top = page.evaluate(
                            "s => document.querySelector(s)?.getBoundingClientRect().top"
                            " + window.scrollY",
                            shot.act.removeprefix("focus:"),
                        )
                        if top:
                            top = max(0, int(top) - 24)
                            clip = {"x": 0, "y": top, "width": width,
                                    "height": min(1800, height - top)}  # fmt: skip
                    page.screenshot(path=str(target), full_page=True, clip=clip)
                    print(target.relative_to(ROOT))
                context.close()
        browser.close()
    return missing


def write_list(shots: list[Shot], missing: dict) -> None:
    """docs/screenshots.md: every journey's pictures, and the ones this run could not take."""
    lines = [
        "# Screenshots",
        "",
        "The enterprise's and the officials' journeys (issues #20 to #23), in Chinese and",
        "English, at 1,280 px (wide) and 390 px (narrow), taken on the demo city by",
        "`make screenshots` (bench/screenshots.py). tests/e2e/test_accessibility.py runs",
        "axe-core on the same pages in CI. The other pictures in docs/screenshots/ are older",
        "pages, retaken with `SCREENSHOT_SET=all make screenshots`.",
        "",
        "| Page | Shows | Login | Language | Width | File |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    sides = (
        ("enterprise", "Enterprise"),
        ("official", "Official"),
        ("person", "Person"),
        ("public", "Public"),
    )
    for side, title in sides:
        for shot in (shot for shot in shots if shot.side == side):
            for language, language_name in LANGUAGES:
                for width, label in WIDTHS:
                    file = f"{shot.name}.{language}.{label}.png"
                    link = (
                        "not taken: " + missing[(shot.name, language, label)]
                        if (shot.name, language, label) in missing
                        else f"[{file}](screenshots/{file})"
                    )
                    lines.append(
                        f"| {title}: {shot.name} | {shot.shows} | `{shot.user or '-'}` "
                        f"| {language_name} | {width} px | {link} |"
                    )
    # What a person saw on the pictures is written by hand below the list, and kept.
    notes = ""
    if LIST.exists():
        text = LIST.read_text(encoding="utf-8")
        if NOTES in text:
            notes = "\n" + text[text.index(NOTES) :]
    LIST.write_text("\n".join(lines) + "\n" + notes, encoding="utf-8")


def permit_code() -> str:
    """A valid permit's verification code, read from the demo database."""
    found = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from approvals.models import Permit; "
         "print(Permit.objects.filter(revoked_at__isnull=True).first().verification_code)"],
        cwd=ROOT, check=True, capture_output=True, text=True,
        env={**os.environ, "DEBUG": "true"},
    )  # fmt: skip
    return found.stdout.strip().splitlines()[-1]


def open_application(page, base: str, title: str) -> None:
    page.goto(base + "/approvals/")
    page.click(f"main table a:has-text('{title}')")


def visit_more(page, base: str, path: str) -> None:
    """The older pages (SCREENSHOT_SET=all), some reached by clicking."""
    page.emulate_media(media="screen")
    if path.startswith("@approval") or path == "@permit-verify":
        visit_approvals(page, base, path)
    elif path == "/accounts/login/?demo=error":
        page.goto(base + "/accounts/login/")
        page.fill("#id_username", f"nobody-{page.viewport_size['width']}")
        page.fill("#id_password", "wrong")
        page.click("main button[type=submit]")
    elif path == "@first-enterprise":
        page.goto(base + "/")
        page.click("main ul.plain-list a >> nth=0")
    elif path == "@data-access":
        page.goto(base + "/")
        page.click("main ul.plain-list a >> nth=0")
        page.click("text=/查看数据调取记录|See who read our data/")
    elif path == "@policy-version":
        page.goto(base + "/policies/manage/")
        page.click("main table a >> nth=0")
        page.goto(page.url + "?forecast=1")
    elif path == "@builder-error":
        page.goto(base + "/policies/manage/")
        page.click("main form button >> nth=0")  # new version (a draft) for the first policy
        page.fill("#id_criteria-0-value", "many")
        page.click("main form button[type=submit] >> nth=-1")
    elif path == "@claim":
        page.goto(base + "/policies/calculator/")
        page.click("main form.claim-form button >> nth=0")
        page.wait_for_selector("#claim-status .steps li.done >> nth=4", timeout=15000)
    elif path == "@batch-run":
        page.goto(base + "/claims/")
        page.click("#runs-title ~ div table a >> nth=0")
    elif path == "@batch-claim":
        page.goto(base + "/claims/?status=paid")
        page.click("main table.data-table tbody a >> nth=0")
    elif path == "@contact-error":
        page.goto(base + "/")
        page.click("main ul.plain-list a >> nth=0")
        page.click("main a.button")
        page.fill("#id_bank_account", "12ab")
        page.fill("#id_contact_phone", "12345")
        page.click("main button[type=submit]")
    elif path.startswith("/dashboards/"):
        page.goto(base + path)
        # Charts draw after the page loads, then animate for about a second.
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chart')].every(c => c.querySelector('canvas'))"
        )
        page.wait_for_timeout(1200)
    else:
        page.goto(base + path)
    page.wait_for_load_state("networkidle")


def visit_approvals(page, base: str, path: str) -> None:
    """The approvals pages, reached from the demo applications (seed_demo_approvals)."""
    if path in ("@approval-draft", "@approval-sheet-error", "@approval-review"):
        open_application(page, base, "滨江智能装备产业园")
        if path == "@approval-sheet-error":
            page.fill("#id_total_investment", "一亿两千万")
            page.fill("#id_production_capacity", "年产 2 万套智能装备")
            page.click("main button[name=save]")
        elif path == "@approval-review":
            page.goto(page.url.replace("/edit/", "/review/"))
    elif path in ("@approval-tracker", "@approval-commitment"):
        open_application(page, base, "年产5万台电机智能工厂")
        if path == "@approval-commitment":
            page.goto(page.url.split("#")[0] + "commitment/")
    elif path == "@approval-item":
        page.goto(base + "/approvals/review/")
        page.click("main table tbody a >> nth=0")
    elif path in ("@approval-registered", "@approval-permit", "@approval-permit-print"):
        page.goto(base + "/approvals/")
        page.click("main table tbody a >> nth=0")
        if path != "@approval-registered":
            page.click("main table a[href*='/approvals/permits/'] >> nth=0")
        if path == "@approval-permit-print":
            page.emulate_media(media="print")
    elif path == "@permit-verify":
        page.goto(base + "/permits/verify/?code=" + permit_code())
    page.wait_for_load_state("networkidle")


if __name__ == "__main__":
    main()
