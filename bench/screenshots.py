"""Screenshot the main pages in both languages, wide and narrow, into docs/screenshots/.

Needs the demo data (`make screenshots` seeds it) and Chromium at /usr/bin/chromium. Starts
its own development server on a free port.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from qinqing.browser import launch_chromium

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "qinqing-demo-2026"  # noqa: S105 - the printed demo password

# (file name, user or None, path)
PAGES = [
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
# SCREENSHOT_PAGES=approvals,permit shoots only the pages whose names start so.
ONLY = [prefix for prefix in os.environ.get("SCREENSHOT_PAGES", "").split(",") if prefix]
if ONLY:
    PAGES = [entry for entry in PAGES if entry[0].startswith(tuple(ONLY))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    # The failed log-in shot would otherwise lock its username out after a few runs.
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
        shoot(base)
    finally:
        server.terminate()


def shoot(base: str) -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for language in ("zh-hans", "en"):
            for width, label in ((1280, "wide"), (390, "narrow")):
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.add_cookies([{"name": "django_language", "value": language, "url": base}])
                page = context.new_page()
                logged_in_as = None
                for name, user, path in PAGES:
                    if user != logged_in_as:
                        context.clear_cookies()
                        context.add_cookies(
                            [{"name": "django_language", "value": language, "url": base}]
                        )
                        if user:
                            page.goto(base + "/accounts/login/")
                            page.fill("#id_username", user)
                            page.fill("#id_password", PASSWORD)
                            page.click("main button[type=submit]")
                            page.wait_for_load_state()
                        logged_in_as = user
                    visit(page, base, path)
                    target = OUT / f"{name}.{language}.{label}.png"
                    # Whole page unless it is a long list; then the first two screens.
                    height = page.evaluate("document.body.scrollHeight")
                    if height <= 1800:
                        page.screenshot(path=str(target), full_page=True)
                    else:
                        page.screenshot(
                            path=str(target),
                            full_page=True,
                            clip={"x": 0, "y": 0, "width": width, "height": 1800},
                        )
                    print(target.relative_to(ROOT))
                context.close()
        browser.close()


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


def visit(page, base: str, path: str) -> None:
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
