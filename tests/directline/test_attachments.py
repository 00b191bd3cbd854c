"""Attachments: type- and size-checked before anything is stored, kept outside any served
folder under a random name, handed out only to those who may see the request."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from directline import attachments
from directline.models import Request, RequestAttachment
from directline.services.raising import add_attachments, raise_request
from directline.services.refusals import RequestRefused
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
