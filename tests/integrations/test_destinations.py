"""Where a webhook may go (integrations.destinations): global unicast addresses only, the
IPv4 inside IPv6 forms judged as IPv4, and the address resolved once and connected to,
so a DNS answer that changes after the check (rebinding) never reaches the network."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import socket
import ssl
import threading

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from django.core.cache import cache
from rest_framework.test import APIClient

from integrations import delivering, destinations, dispatching, subscribing
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from sandbox.partners import views as demo_receiver

from .conftest import PARTNER_ADDRESS, URL, record_event_for, subscribe

pytestmark = pytest.mark.django_db

# The URLs issue #19 found saved (201), and what each must now be refused for.
ISSUE_URLS = [
    ("https://[::127.0.0.1]/h", "carries the IPv4 address 127.0.0.1, which is loopback"),
    ("https://[::a9fe:a9fe]/h", "carries the IPv4 address 169.254.169.254, which is link-local"),
    ("https://[64:ff9b::a9fe:a9fe]/h", "carries the IPv4 address 169.254.169.254"),
    ("https://[2002:a9fe:a9fe::]/h", "carries the IPv4 address 169.254.169.254"),
    ("https://192.0.0.8/h", "192.0.0.8 is reserved for IETF protocol assignments"),
]


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.DEBUG = False


@pytest.mark.parametrize(("url", "reason"), ISSUE_URLS)
def test_each_url_of_the_issue_is_refused_with_its_reason(world, production, url, reason):
    client = APIClient()
    client.force_authenticate(world["member_a"])
    answer = client.post("/api/v1/webhooks/subscriptions/",
                         {"name": "ERP", "url": url, "event_types": ["claim.paid"]},
                         format="json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert answer.status_code == 400 and answer["Content-Type"] == "application/json"
    body = answer.json()
    assert body["code"] == "webhook_refused"
    assert reason in body["detail"] and reason in body["fields"]["url"][0]
    assert "public internet address" in body["detail"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        # IPv4: every special-purpose block, multicast, broadcast.
        "0.0.0.0",  # noqa: S104 - an address refused, not one bound to
        "10.1.2.3", "100.64.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1",
        "192.0.0.8", "192.0.0.9", "192.0.0.170", "192.0.2.1", "192.31.196.1", "192.52.193.1",
        "192.88.99.1", "192.168.1.1", "192.175.48.1", "198.18.0.1", "198.51.100.1",
        "203.0.113.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
        # IPv6 that is not global unicast, or special inside 2000::/3.
        "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "100::1",
        "2001:db8::1", "3fff::1", "2001:2::1", "2620:4f:8000::1", "5f00::1",
        # IPv6 carrying a private IPv4: mapped, translated, compatible, NAT64, 6to4, Teredo.
        "::ffff:10.0.0.1", "::ffff:0:10.0.0.1", "::10.0.0.1", "64:ff9b::7f00:1",
        "2002:c0a8:101::1", "2002:c000:8::",
        # Teredo: server 65.54.227.120, client 10.0.0.1 (stored inverted).
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",
        # The local-use NAT64 prefix, whatever it carries.
        "64:ff9b:1::5db8:d822",
    ],
)  # fmt: skip
def test_special_addresses_are_refused(address):
    assert destinations.refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34",
     "64:ff9b::5db8:d822", "2002:5db8:d822::1"],
)  # fmt: skip
def test_global_unicast_addresses_are_accepted(address):
    assert destinations.refusal(ipaddress.ip_address(address)) is None


def test_python_alone_would_have_said_yes():
    """Why the table: ipaddress.is_global accepts these, each carrying or being special."""
    for text, _reason in ISSUE_URLS:
        host = text.split("//")[1].split("/")[0].strip("[]")
        assert ipaddress.ip_address(host).is_global  # what the old check relied on


def test_a_name_with_one_private_answer_among_public_ones_is_refused(world, production, resolver):
    resolver["partner.example.com"] = [PARTNER_ADDRESS, "10.0.0.5"]
    with pytest.raises(subscribing.WebhookRefused, match=r"10\.0\.0\.5 is private"):
        subscribe(world["auditor"])
    resolver["partner.example.com"] = [PARTNER_ADDRESS]
    subscribe(world["auditor"])


def test_an_ipv4_mapped_answer_is_connected_to_as_ipv4(resolver):
    resolver["partner.example.com"] = ["::ffff:93.184.216.34"]
    destination = destinations.resolve(URL)
    assert destination.address == ipaddress.ip_address(PARTNER_ADDRESS)
    url, headers, extensions = destination.pinned()
    assert url == f"https://{PARTNER_ADDRESS}/hooks"
    assert headers == {"Host": "partner.example.com"}
    assert extensions == {"sni_hostname": "partner.example.com"}


def test_an_international_name_travels_as_idna(resolver):
    resolver["xn--fsqu00a.xn--0zwm56d"] = [PARTNER_ADDRESS]
    url, headers, extensions = destinations.resolve("https://例子.测试:8443/钩子").pinned()
    assert url.startswith(f"https://{PARTNER_ADDRESS}:8443/")
    assert headers == {"Host": "xn--fsqu00a.xn--0zwm56d:8443"}
    assert extensions == {"sni_hostname": "xn--fsqu00a.xn--0zwm56d"}


class ChangingResolver:
    """A DNS name under an attacker's control: a public answer first, then a private one
    (rebinding). Counts the questions."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked += 1
        return [self.answers[min(self.asked, len(self.answers)) - 1]]


def test_rebinding_after_the_check_is_not_followed(world, production, monkeypatch):
    """Checked when saved (public), the name then answers 169.254.169.254: the delivery
    resolves it once, refuses, and sends nothing."""
    rebinding = ChangingResolver(PARTNER_ADDRESS, "169.254.169.254")
    monkeypatch.setattr(destinations, "resolve_host", rebinding)
    subscription = subscribe(world["auditor"])
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    posted = []
    monkeypatch.setattr(delivering, "post_with_deadline", lambda *a, **k: posted.append(a))
    delivery = delivering.deliver(WebhookDelivery.objects.get(subscription=subscription).pk)
    assert posted == [] and delivery.status == DeliveryStatus.FAILED
    assert "169.254.169.254 is link-local" in delivery.last_error


def test_the_connection_goes_to_the_address_resolved_once(world, production, monkeypatch):
    """Resolved once at delivery (public), the name would answer a private address to any
    later question: the request is made to the first answer, named by address, with the
    host's name in Host and as the TLS server name."""
    rebinding = ChangingResolver(PARTNER_ADDRESS, PARTNER_ADDRESS, "10.0.0.1")
    monkeypatch.setattr(destinations, "resolve_host", rebinding)
    subscription = subscribe(world["auditor"])  # question 1
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    seen: list[httpx.Request] = []

    async def partner(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    real_client = httpx.AsyncClient
    monkeypatch.setattr(
        delivering.httpx, "AsyncClient",
        lambda **kw: real_client(transport=httpx.MockTransport(partner), **kw),
    )  # fmt: skip
    delivery = delivering.deliver(WebhookDelivery.objects.get(subscription=subscription).pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert rebinding.asked == 2  # once at saving, once at sending: never by httpx
    (request,) = seen
    assert request.url.host == PARTNER_ADDRESS and request.url.path == "/hooks"
    assert request.headers["Host"] == "partner.example.com"
    assert request.extensions["sni_hostname"] == "partner.example.com"


# --- Over real sockets: the name is never resolved by httpx ------------------------------


@pytest.fixture
def system_resolver_refuses(monkeypatch):
    """The system resolver does not know *.test: had httpx looked the name up itself, the
    connection would fail."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "not known to the system resolver")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.django_db(transaction=True)
def test_a_real_delivery_reaches_the_address_resolved_once_and_the_receiver_accepts_it(
    live_server, reference_data, quiet_outbox, settings, monkeypatch, system_resolver_refuses
):
    """partner.test answers 127.0.0.1 once, then an address where nothing listens. The
    delivery connects to 127.0.0.1 (the live server's demo receiver), which verifies the
    signature with the subscription's own secret: valid."""
    from tests.factories import AuditorFactory, EnterpriseFactory

    settings.DEBUG = True  # plain http to a name that is not this machine's
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "partner.test"]
    port = live_server.url.rsplit(":", 1)[1]
    monkeypatch.setattr(destinations, "resolve_host", ChangingResolver("127.0.0.1", "10.255.0.1"))
    cache.delete(demo_receiver.RECEIVED_KEY)
    subscription = subscribe(
        AuditorFactory(), url=f"http://partner.test:{port}/mock/partner/webhooks/"
    )
    record_event_for(EnterpriseFactory())
    dispatching.dispatch_pending()
    delivery = delivering.deliver(WebhookDelivery.objects.get(subscription=subscription).pk)
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 200)
    (row,) = demo_receiver.received()
    assert (row["delivery"], row["valid"], row["answered"]) == (str(delivery.pk), True, 200)


def _certificate(authority_key, authority_name, host: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(authority_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(authority_key, hashes.SHA256())
    )  # fmt: skip
    return key, cert


@pytest.fixture
def tls_partner(tmp_path, monkeypatch):
    """An HTTPS receiver on 127.0.0.1 whose certificate names only `partner.test` (no IP),
    issued by a test authority the delivery trusts. Returns a starter: host → (port, seen)."""
    authority_key = ec.generate_private_key(ec.SECP256R1())
    authority_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Qinqing test CA")])
    now = datetime.datetime.now(datetime.UTC)
    authority = (
        x509.CertificateBuilder().subject_name(authority_name).issuer_name(authority_name)
        .public_key(authority_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(authority_key, hashes.SHA256())
    )  # fmt: skip
    trusted = ssl.create_default_context(cadata=authority.public_bytes(Encoding.PEM).decode())
    monkeypatch.setattr(delivering, "tls_verification", lambda: trusted)
    servers = []

    def start(certificate_host: str):
        key, cert = _certificate(authority_key, authority_name, certificate_host)
        cert_file, key_file = tmp_path / f"{certificate_host}.pem", tmp_path / "key.pem"
        cert_file.write_bytes(cert.public_bytes(Encoding.PEM))
        key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        seen: dict[str, str] = {}
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)

        def note_server_name(sock, name, ctx) -> None:
            seen["sni"] = name

        context.sni_callback = note_server_name

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                seen["host"] = self.headers["Host"]
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1], seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("certificate_host", "succeeds"), [("partner.test", True),
                                                             ("other.test", False)])  # fmt: skip
def test_tls_is_verified_against_the_host_name_while_connecting_to_the_address(
    world, tls_partner, monkeypatch, system_resolver_refuses, certificate_host, succeeds
):
    """Sent to 127.0.0.1 by address, the TLS server name is partner.test, and the
    certificate must be partner.test's: one for another name is refused."""
    port, seen = tls_partner(certificate_host)
    monkeypatch.setattr(destinations, "resolve_host", ChangingResolver("127.0.0.1", "10.0.0.1"))
    subscription = subscribe(world["auditor"], url=f"https://partner.test:{port}/hook")
    record_event_for(world["a"])
    dispatching.dispatch_pending()
    delivery = delivering.deliver(WebhookDelivery.objects.get(subscription=subscription).pk)
    assert seen.get("sni") == "partner.test"
    if succeeds:
        assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 204)
        assert seen["host"] == f"partner.test:{port}"
    else:
        assert delivery.status == DeliveryStatus.FAILED and "host" not in seen
        assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error or "match" in delivery.last_error
