"""Attachments: type- and size-checked before anything is stored, kept outside any served
folder under a random name, handed out only to those who may see the request."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from directline.models import Request, RequestAttachment
from directline.services.raising import add_attachments, raise_request
from directline.services.refusals import RequestRefused
from qinqing import attachments
from tests.factories import OfficialFactory, department

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.DIRECTLINE_ATTACHMENT_ROOT = tmp_path / "private"
    return tmp_path / "private"


def pdf(name="证明.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_a_pdf_is_stored_privately_under_a_random_name(raise_one, private_root):
    request = raise_one()
    add_attachments(request.pk, actor=request.raised_by, files=[pdf()])
    attachment = RequestAttachment.objects.get()
    assert attachment.name == "证明.pdf" and attachment.size == len(PDF)
    assert attachment.content_type == "application/pdf"
    stored = private_root / attachment.file.name
    assert stored.read_bytes() == PDF
    assert "证明" not in attachment.file.name
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 - no public URL


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf"),
        SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 not a pdf"),
        SimpleUploadedFile("empty.pdf", b""),
        SimpleUploadedFile("page.html", b"<script>alert(1)</script>"),
        SimpleUploadedFile("noextension", PDF),
    ],
)
def test_forbidden_or_fake_types_are_refused_and_nothing_is_stored(raise_one, upload, private_root):
    request = raise_one()
    with pytest.raises(RequestRefused):
        add_attachments(request.pk, actor=request.raised_by, files=[upload])
    assert not RequestAttachment.objects.exists()
    assert not private_root.exists() or not any(private_root.rglob("*.*"))


def test_an_oversized_file_is_refused(raise_one, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_BYTES", 100)
    request = raise_one()
    with pytest.raises(RequestRefused, match="too large"):
        add_attachments(request.pk, actor=request.raised_by, files=[pdf(data=PDF * 10)])
    assert not RequestAttachment.objects.exists()


def test_a_bad_attachment_at_raise_time_raises_nothing(member, enterprise):
    from directline.models import Category

    with pytest.raises(RequestRefused):
        raise_request(
            actor=member,
            enterprise=enterprise,
            category=Category.objects.get(code="policy_question"),
            subject="标题",
            description="正文",
            files=[SimpleUploadedFile("x.exe", b"MZ")],
        )
    assert not Request.objects.exists()


def test_at_most_five_per_request(raise_one):
    request = raise_one()
    add_attachments(request.pk, actor=request.raised_by, files=[pdf() for _ in range(5)])
    with pytest.raises(RequestRefused):
        add_attachments(request.pk, actor=request.raised_by, files=[pdf()])
    assert RequestAttachment.objects.count() == 5


def test_only_those_who_see_the_request_may_download(raise_one, other_member, tax_official):
    request = raise_one()
    add_attachments(request.pk, actor=request.raised_by, files=[pdf()])
    attachment = RequestAttachment.objects.get()
    url = f"/requests/{request.pk}/attachments/{attachment.pk}/"

    def get(user):
        client = Client()
        client.force_login(user)
        return client.get(url)

    response = get(tax_official)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert get(request.raised_by).status_code == 200
    assert get(other_member).status_code == 404
    assert get(OfficialFactory(department=department("market"), district=None)).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_attach_through_the_api_and_the_form(raise_one, member, enterprise):
    request = raise_one()
    client = APIClient()
    client.force_authenticate(member)
    response = client.post(
        f"/api/v1/requests/{request.pk}/attachments/", {"files": [pdf()]}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["attachments"][0]["name"] == "证明.pdf"
    response = client.post(
        f"/api/v1/requests/{request.pk}/attachments/",
        {"files": [SimpleUploadedFile("a.exe", b"MZ")]},
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["detail"]
    page = Client()
    page.force_login(member)
    from directline.models import Category

    page.post(
        "/requests/new/",
        {
            "enterprise": enterprise.uscc,
            "category": Category.objects.get(code="suggestion").pk,
            "subject": "建议",
            "description": "附上说明。",
            "attachment": pdf("说明.pdf"),
            "send": "1",
        },
    )
    assert RequestAttachment.objects.filter(name="说明.pdf").exists()


def office_package(main_part=None, content_type=None, extra=()):
    """A ZIP shaped as an Office Open XML package (or not). Its parts carry a fixed date:
    the bytes are in the tests' ids, and a ZIP stamped with the clock gave the two xdist
    processes different ids when they collected on either side of a 2-second tick."""
    import io
    import zipfile

    def part(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        if content_type is not None:
            package.writestr(
                part("[Content_Types].xml"),
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                f'2006/content-types"><Override PartName="/{main_part}" ContentType="'
                f'{content_type}"/></Types>',
            )
        if main_part:
            package.writestr(part(main_part), "<document/>")
        for name in extra:
            package.writestr(part(name), "x")
    return buffer.getvalue()


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("合同.docx", office_package("word/document.xml", WORD_MAIN)),
        ("报表.xlsx", office_package("xl/workbook.xml", EXCEL_MAIN)),
    ],
)
def test_a_real_office_file_is_accepted(raise_one, name, data):
    request = raise_one()
    add_attachments(request.pk, actor=request.raised_by, files=[SimpleUploadedFile(name, data)])
    assert RequestAttachment.objects.get().name == name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # any ZIP renamed: no content types, no document
        ("photos.docx", office_package(extra=["a.jpg", "b.jpg"])),
        # a workbook renamed .docx, and a document renamed .xlsx
        ("renamed.docx", office_package("xl/workbook.xml", EXCEL_MAIN)),
        ("renamed.xlsx", office_package("word/document.xml", WORD_MAIN)),
        # the document part without [Content_Types].xml
        ("bare.docx", office_package("word/document.xml", None)),
        # a macro-enabled document renamed .docx declares another type
        (
            "macros.docx",
            office_package(
                "word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"
            ),
        ),
        # the ZIP signature and nothing after it
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 40),
    ],
)
def test_a_zip_that_is_not_that_office_file_is_refused(raise_one, name, data, private_root):
    request = raise_one()
    with pytest.raises(RequestRefused, match="not really"):
        add_attachments(request.pk, actor=request.raised_by, files=[SimpleUploadedFile(name, data)])
    assert not RequestAttachment.objects.exists()
    assert not private_root.exists() or not any(private_root.rglob("*.*"))


def test_a_file_written_before_a_failed_step_is_removed(raise_one, private_root, monkeypatch):
    """Anything failing after the file is written rolls back the row: the file goes too."""
    from directline.services import raising

    request = raise_one()

    def fails(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(raising, "record_event", fails)
    with pytest.raises(RuntimeError):
        add_attachments(request.pk, actor=request.raised_by, files=[pdf()])
    assert not RequestAttachment.objects.exists()
    assert not private_root.exists() or not any(private_root.rglob("*.*"))


@pytest.mark.django_db(transaction=True)
def test_a_file_written_just_before_a_failed_commit_is_removed(private_root, monkeypatch):
    """The commit itself fails (a deferred foreign key, checked at COMMIT): no row, no file."""
    from django.db import IntegrityError

    from directline.models import Category, RequestMessage
    from directline.services import raising
    from tests.directline.conftest import categories_installed
    from tests.factories import EnterpriseFactory, member_of

    categories_installed()
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    real_record_event = raising.record_event

    def dangling_then_record(**kwargs):
        # A row pointing at a user that does not exist: accepted now, refused at COMMIT.
        RequestMessage.objects.create(
            request=kwargs["obj"], author_id=987654321, kind="answer", body="x"
        )
        return real_record_event(**kwargs)

    monkeypatch.setattr(raising, "record_event", dangling_then_record)
    with pytest.raises(IntegrityError):
        raise_request(
            actor=member,
            enterprise=enterprise,
            category=Category.objects.get(code="suggestion"),
            subject="建议",
            description="附上说明。",
            files=[pdf()],
        )
    assert not Request.objects.exists() and not RequestAttachment.objects.exists()
    assert not private_root.exists() or not any(private_root.rglob("*.*"))
