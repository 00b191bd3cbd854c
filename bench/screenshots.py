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
]


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


def visit(page, base: str, path: str) -> None:
    if path == "/accounts/login/?demo=error":
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
    else:
        page.goto(base + path)
    page.wait_for_load_state("networkidle")


if __name__ == "__main__":
    main()
