"""Personal data (ID numbers, bank accounts, phone numbers) is shown in full only to those
who need it (docs/security.md, "Personal data"), and never written to the logs.

The security world is seeded with distinctive full values: enterprise A's contact phone and
bank account (also on its disbursement), its approval sheet's contact phone, and a
direct-line request whose text carries a person's ID number and phone. Then every page,
export and API answer of the site is read as every role (the eight kinds of person and
the two partner clients), and each full value may appear only where NEEDED says.
"""

import io
import logging
import os
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from approvals.models import Application, Item
from approvals.services.applications import save_answers, start_application
from directline.models import Request
from directline.services.publication import anonymise
from enterprises.models import Enterprise
from qinqing.masking import MaskPersonalDataFilter, mask_personal_data
from qinqing.notifications.models import Notification
from qinqing.notifications.services import send_emails
from subsidies.models import Disbursement
from tests.api.test_every_endpoint import ENDPOINTS
from tests.approvals.conftest import ESTABLISHMENT
from tests.factories import EnterpriseFactory, OfficialFactory, department, district, member_of
from tests.partners_support import bearer
from tests.security.test_authorization_matrix import example_url
from tests.security.world import PARTNER_ROLES, ROLES, World, build_world, partner_token

pytestmark = pytest.mark.django_db

PHONE = "13957112468"  # enterprise A's contact phone (register and approval sheet)
ACCOUNT = "6217009876543210987"  # enterprise A's bank account (register and disbursement)
ID_NUMBER = "330106198507153318"  # a person's ID number, written in a direct-line request
CALLER_PHONE = "18867005521"  # a phone number written in the same request

# Who sees each full value, and where (URL names). Everyone else, everywhere else: masked
# or absent. Why each is needed is in docs/security.md.
#
# - The enterprise's contact phone: its own people on the form where they change it, and
#   on the approval sheet it filled in (the API's answers); the officials and department
#   clients handling that application (to call the applicant back); the administrator in
#   the back office (who corrects the register). The register pages and the enterprise
#   API show it masked to everyone.
# - The bank account: the administrator in the back office's register form (to correct
#   it), nobody else. Pages, exports and the API show the last four digits; the payment
#   order to the treasury carries it.
# - What an enterprise writes to the department (a direct-line request's text, with an ID
#   and a phone number in it): its own people and the handling department's official and
#   clients, as written; auditors and administrators read it masked (the administrator in
#   full in the back office); once published, it is anonymised for everyone.
# Auditors never see a full value, the back office included; neither does anyone else.
HANDLERS = ("member_a", "official_market_xihu", "partner_enterprise_a", "partner_market_xihu")
APPLICATION_API = ("v1:approval-application-detail", "v1:approval-application-list")
REQUEST_API = ("v1:request-detail", "v1:request-list")
REQUEST_PAGES = ("directline:detail", "directline:handle")
TEXT_PLACES = {
    *((role, name) for role in HANDLERS for name in REQUEST_API),
    *((role, name) for role in ("member_a", "official_market_xihu") for name in REQUEST_PAGES),
    ("admin", "admin:request"),
}
NEEDED: dict[str, set[tuple[str, str]]] = {
    PHONE: {
        ("member_a", "enterprises:contact_edit"),
        *((role, name) for role in HANDLERS for name in APPLICATION_API),
        ("admin", "admin:enterprise"),
        ("admin", "admin:application"),
    },
    ACCOUNT: {("admin", "admin:enterprise")},
    ID_NUMBER: TEXT_PLACES,
    CALLER_PHONE: TEXT_PLACES,
}

# Exports (their example URLs in ENDPOINTS ask for a bad format or a filter, so that they
# answer without a file): the real files.
EXPORTS = {
    "data_calls": "/official/data-calls/?export=csv",
    "approvals:queue": "/approvals/review/?export=csv",
    "approvals:overdue": "/approvals/review/overdue/?export=xlsx",
}


def admin_urls(world: World) -> dict[str, str]:
    """The back office's pages for the seeded rows (administrators only)."""
    a = world.a
    return {
        "admin:enterprise": f"/admin/enterprises/enterprise/{a.enterprise.pk}/change/",
        "admin:enterprises": "/admin/enterprises/enterprise/",
        "admin:disbursement": f"/admin/subsidies/disbursement/{a.ids['disbursement']}/change/",
        "admin:disbursements": "/admin/subsidies/disbursement/",
        "admin:request": f"/admin/directline/request/{a.ids['request']}/change/",
        "admin:application": f"/admin/approvals/application/{a.ids['application']}/change/",
        "admin:audit": "/admin/audit/auditevent/",
    }


def seed(world: World) -> None:
    a = world.a
    Enterprise.objects.filter(pk=a.enterprise.pk).update(
        contact_phone=PHONE, bank_account=ACCOUNT, bank_name="中国工商银行"
    )
    Disbursement.objects.filter(pk=a.ids["disbursement"]).update(bank_account=ACCOUNT)
    for pk in (a.ids["application"], a.ids["pending_application"]):
        application = Application.objects.get(pk=pk)
        application.answers = {**application.answers, "contact_phone": PHONE}
        application.save(update_fields=["answers"])
    Request.objects.filter(pk=a.ids["request"]).update(
        description=f"法定代表人身份证号 {ID_NUMBER}，请回电 {CALLER_PHONE}。"
    )


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # xlsx: the sheets' XML
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
    return content.decode("utf-8", errors="replace")


def walk(world: World, role: str, client: Client) -> set[tuple[str, str, str]]:
    """(value, role, URL name) for every full value in every answer `role` gets."""
    urls = {name: example_url(name, world.a, world.shared) for name in ENDPOINTS}
    urls.update(EXPORTS)
    urls.update(admin_urls(world))
    found = set()
    for name, url in urls.items():
        if name == "accounts:logout":
            continue
        response = client.get(url)
        if response.status_code >= 300:
            continue
        text = body_text(response)
        found |= {(value, role, str(name)) for value in NEEDED if value in text}
    return found


@pytest.mark.long
def test_full_personal_data_appears_only_where_the_role_needs_it():
    found: set[tuple[str, str, str]] = set()
    with transaction.atomic():
        world = build_world()
        seed(world)
        for role in (*ROLES, *PARTNER_ROLES):
            client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
            if role in PARTNER_ROLES:
                client.defaults.update(bearer(partner_token(world, role)))
            elif world.users[role] is not None:
                client.force_login(world.users[role])
            found |= walk(world, role, client)
        transaction.set_rollback(True)
    unexpected = sorted(
        (value, role, name) for value, role, name in found if (role, name) not in NEEDED[value]
    )
    assert not unexpected, "full personal data shown:\n" + "\n".join(
        f"{value} to {role} in {name}" for value, role, name in unexpected
    )
    # The test means something only if the seeded values are where they are needed.
    missing = sorted(
        (value, role, name)
        for value, places in NEEDED.items()
        for role, name in places
        if (value, role, name) not in found
    )
    assert not missing, f"seeded values not found where expected: {missing}"


# --- Logs --------------------------------------------------------------------------------


@contextmanager
def captured_logs():
    """Everything logged, at every level, as the configured handlers write it (their
    filters included), SQL statements with their parameters too."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters)
    ]
    assert handlers, "settings.LOGGING has no handler masking personal data"
    stream = io.StringIO()
    # Not setStream(): it flushes the old stream, which pytest's capture may have closed.
    previous = [handler.stream for handler in handlers]
    for handler in handlers:
        handler.stream = stream
    loggers = {name: logging.getLogger(name) for name in ("", "django", "django.db.backends")}
    levels = {name: logger.level for name, logger in loggers.items()}
    for logger in loggers.values():
        logger.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    try:
        yield stream
    finally:
        connection.force_debug_cursor = False
        for name, logger in loggers.items():
            logger.setLevel(levels[name])
        for handler, old in zip(handlers, previous, strict=True):
            handler.stream = old


def test_the_log_filter_masks_messages_arguments_and_tracebacks():
    with captured_logs() as stream:
        log = logging.getLogger("qinqing.test")
        log.warning("paid to %s for %s", ACCOUNT, PHONE)
        try:
            raise ValueError(f"bad ID {ID_NUMBER}")
        except ValueError:
            log.exception("failed")
    text = stream.getvalue()
    assert mask_personal_data(ACCOUNT) in text and "139****2468" in text, text
    assert "330106********3318" in text, text
    assert not any(value in text for value in (PHONE, ACCOUNT, ID_NUMBER)), text


def test_a_claim_and_an_approval_log_no_full_personal_data(apply_policy, establishment_package):
    xihu = district("xihu")
    enterprise = EnterpriseFactory(district=xihu, contact_phone=PHONE, bank_account=ACCOUNT)
    member = member_of(enterprise, email="member@example.com")
    reviewer = OfficialFactory(
        department=department("hrss"), district=None, email="reviewer@example.com"
    )
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    with captured_logs() as stream:
        # A claim, approved and paid to the enterprise's account.
        api.force_authenticate(member)
        claimed = api.post(
            "/api/v1/claims/", {"policy": apply_policy.code, "uscc": enterprise.uscc}, format="json"
        )
        assert claimed.status_code in (200, 201), claimed.content
        api.force_authenticate(reviewer)
        approved = api.post(f"/api/v1/claims/{claimed.json()['id']}/approve/")
        assert approved.status_code == 200, approved.content
        assert Disbursement.objects.get(claim_id=claimed.json()["id"]).bank_account == ACCOUNT
        # An establishment application with a phone and a shareholder's ID number, decided
        # by each department's official.
        api.force_authenticate(member)
        application = start_application(package=establishment_package, actor=member)
        save_answers(application.pk, actor=member, answers={
            **ESTABLISHMENT, "district": "xihu", "contact_phone": PHONE,
            "shareholders": [{"name": "李明", "id_number": ID_NUMBER}],
        })  # fmt: skip
        submitted = api.post(f"/api/v1/approvals/applications/{application.pk}/submit/")
        assert submitted.status_code == 200, submitted.content
        for item in Item.objects.filter(application=application):
            api.force_authenticate(OfficialFactory(department=item.department, district=xihu))
            decided = api.post(
                f"/api/v1/approvals/items/{item.pk}/approve/",
                {"text": f"已电话核实 {PHONE}"},
                format="json",
            )
            assert decided.status_code in (200, 409), decided.content
        # The e-mails of every notification the flows wrote, as the worker sends them.
        send_emails(list(Notification.objects.values_list("pk", flat=True)))
    text = stream.getvalue()
    # The values did reach the logs (SQL parameters), masked.
    assert "139****2468" in text and mask_personal_data(ACCOUNT) in text, text[-2000:]
    leaked = [value for value in (PHONE, ACCOUNT, ID_NUMBER) if value in text]
    assert not leaked, f"logged in full: {leaked}"
    # Nor are they in the notification e-mails the two flows sent.
    assert mail.outbox, "the flows sent no e-mail: the check below would mean nothing"
    mails = " ".join(f"{m.subject} {m.body} {getattr(m, 'alternatives', '')}" for m in mail.outbox)
    assert not [value for value in (PHONE, ACCOUNT, ID_NUMBER) if value in mails]


def test_a_published_answer_carries_no_id_phone_or_account_number():
    enterprise = EnterpriseFactory()
    request = Request(
        enterprise=enterprise, raised_by=member_of(enterprise), description="", subject=""
    )
    text = anonymise(f"身份证 {ID_NUMBER}，电话 {CALLER_PHONE}，账号 {ACCOUNT}", request)
    assert not any(value in text for value in (ID_NUMBER, CALLER_PHONE, ACCOUNT)), text


def test_celery_workers_keep_the_masking_handlers():
    """Celery replaces the root logger's handlers at worker start unless told otherwise
    (qinqing/celery.py): a worker's log lines must be masked too."""
    script = (
        "import django, logging; django.setup()\n"
        "from qinqing.celery import app\n"
        "app.log.setup(loglevel='INFO')\n"
        f"logging.getLogger('celery.task').warning('paid to {ACCOUNT}')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert mask_personal_data(ACCOUNT) in result.stderr, result.stderr
    assert ACCOUNT not in result.stderr + result.stdout
