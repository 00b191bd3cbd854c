"""The Content-Security-Policy: every page is served with it, and no template of ours needs
an exception to it (no inline script, no inline event handler, no style attribute or
<style> block), so that the policy can stay strict without breaking a page."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import AuditorFactory, OfficialFactory, department

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]

# Template files allowed an exception, with the reason. None today: keep it that way.
ALLOWED: dict[str, str] = {}

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
JSON_TYPE = re.compile(r"""type\s*=\s*["']application/(ld\+)?json["']""", re.IGNORECASE)


def city_official():
    """An official of a department that sees the whole city's dashboards."""
    return OfficialFactory(department=department(settings.DASHBOARD_CITY_DEPARTMENTS[0]))


def header(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response) -> None:
    policy = header(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_home_page_is_served_with_a_strict_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert_strict(response)
    assert header(response)["img-src"] == ["'self'", "data:"]


@pytest.mark.django_db
def test_a_dashboard_page_is_served_with_a_strict_policy(client):
    client.force_login(city_official())
    response = client.get("/dashboards/")
    assert response.status_code == 200
    assert_strict(response)
    # Every script is a file of ours or a JSON data block (chart data), which the policy
    # does not treat as script: nothing inline for the browser to refuse.
    scripts = re.findall(rb"<script[^>]*>", response.content)
    assert scripts
    assert all(b" src=" in tag or b'type="application/json"' in tag for tag in scripts)


@pytest.mark.django_db
def test_a_form_error_on_a_dashboard_keeps_the_policy(client):
    client.force_login(city_official())
    response = client.get("/dashboards/?period=2026-13")
    assert response.status_code == 400
    assert_strict(response)


@pytest.mark.django_db
def test_the_api_docs_work_under_the_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_strict(response)
    page = response.content.decode()
    # Swagger UI's start-up script is fetched from the site, not written into the page.
    assert not [attrs for attrs in SCRIPT_TAG.findall(page) if "src=" not in attrs]
    assert not STYLE_BLOCK.search(page)
    script = client.get("/api/docs/?script")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_the_back_office_is_under_the_same_policy(client):
    """Django's admin needs no inline script or style (checked in a browser, select2 and
    calendar widgets included), so it gets no exception."""
    client.force_login(AuditorFactory(is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_strict(response)


def template_files() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def test_the_template_walk_finds_the_templates():
    names = {path.relative_to(ROOT).as_posix() for path in template_files()}
    assert "templates/base.html" in names
    assert "templates/dashboards/page.html" in names
    assert len(names) > 50


COMMENTS = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)


def offences(text: str) -> list[str]:
    """What the policy would refuse in a template (its Django comments aside)."""
    text = COMMENTS.sub("", text)
    found = []
    for attrs in SCRIPT_TAG.findall(text):
        if "src=" not in attrs and not JSON_TYPE.search(attrs):
            found.append(f"inline <script{attrs}>")
    found += [f"event handler: {m.group(0)[-40:]}" for m in EVENT_HANDLER.finditer(text)]
    found += [f"style attribute: {m.group(0)[-40:]}" for m in STYLE_ATTRIBUTE.finditer(text)]
    found += ["<style> block" for _ in STYLE_BLOCK.finditer(text)]
    return found


def test_the_checks_catch_what_the_policy_refuses():
    assert offences("<script>alert(1)</script>")
    assert offences('<button type="button" onclick="window.print()">')
    assert offences('<span style="width: 5%"></span>')
    assert offences("<style>p { color: red }</style>")
    assert not offences('<script src="/static/x.js" defer></script>')
    assert not offences('<script id="d" type="application/json">{}</script>')
    assert not offences('<a data-online="1" class="stylesheet">')
    assert not offences("{# htmx would inject a <style> element #}")


def test_no_template_uses_inline_script_handlers_or_styles():
    problems = []
    for path in template_files():
        name = path.relative_to(ROOT).as_posix()
        if name in ALLOWED:
            continue
        problems += [f"{name}: {offence}" for offence in offences(path.read_text())]
    assert problems == []
