"""Log-in brute-force protection (django-axes), as a password guesser meets it.

The policy (settings AXES_*, docs/security.md): failures are counted per pair of username
and client address; the AXES_FAILURE_LIMIT-th failure locks that pair out for
AXES_COOLOFF_TIME hours, with the right password refused too; another username from the
same address, and the same username from another address, are not locked out; after the
cool-off the pair may log in again. The log-in page and the API token exchange count
towards the same lockout. The OAuth2 token endpoint takes no passwords: a partner's
client secret is a long random string issued by the server, so it is not counted here
(a wrong one is refused with 401 every time, and the right one still works).

Time passing is simulated by moving the recorded attempts back by the cool-off.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory
from tests.partners_support import make_partner

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
OAUTH_TOKEN = "/api/v1/oauth/token/"
IP = "10.1.2.3"


@pytest.fixture
def users(db):
    return UserFactory(username="zhang"), UserFactory(username="li")


def page_login(client: Client, username: str, password: str = PASSWORD, ip: str = IP):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def api_login(client: APIClient, username: str, password: str = PASSWORD, ip: str = IP):
    return client.post(TOKEN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail_until_locked(login, client, username: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, username, "wrong").status_code in (200, 400)
    assert login(client, username, "wrong").status_code == 429


def cool_off_passes() -> None:
    """Every recorded attempt happened one cool-off (and a minute) ago."""
    earlier = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    AccessAttempt.objects.update(attempt_time=earlier)


def test_the_log_in_page_locks_a_username_out_says_so_and_lets_it_back_after_the_cool_off(
    users,
):
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    fail_until_locked(page_login, english, "zhang")

    locked = page_login(english, "zhang")  # the right password, refused while locked
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed log-in attempts" in text
    assert f"{int(settings.AXES_COOLOFF_TIME * 60)} minutes" in text
    assert "_auth_user_id" not in english.session
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "登录失败次数过多" in page_login(chinese, "zhang").content.decode()

    # Another username from the same address is not locked out (the pair is counted).
    assert page_login(english, "li").status_code == 302

    cool_off_passes()
    assert page_login(english, "zhang").status_code == 302


def test_the_api_token_exchange_locks_out_with_a_translated_answer_and_recovers(users):
    english = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    fail_until_locked(api_login, english, "zhang")

    locked = api_login(english, "zhang")
    assert locked.status_code == 429
    assert "token" not in locked.json()
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    assert locked.json()["detail"] == (
        f"Too many failed log-in attempts from this address: try again in {minutes} minutes."
    )
    chinese = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert api_login(chinese, "zhang").json()["detail"] == (
        f"该地址登录失败次数过多，请 {minutes} 分钟后再试。"
    )

    assert api_login(english, "li").status_code == 200
    assert api_login(english, "zhang", ip="10.9.9.9").status_code == 200

    cool_off_passes()
    assert "token" in api_login(english, "zhang").json()


def test_failures_on_the_page_and_the_api_add_up(users):
    page, api = Client(), APIClient()
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login, client = (page_login, page) if attempt % 2 else (api_login, api)
        login(client, "zhang", "wrong")
    assert api_login(api, "zhang", "wrong").status_code == 429
    assert page_login(page, "zhang").status_code == 429


def test_the_oauth_token_endpoint_refuses_wrong_secrets_without_locking_the_client():
    partner, secret = make_partner(scopes=["policies:read"], department="market")
    client = Client()
    ask = {"grant_type": "client_credentials", "client_id": partner.client_id}
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        refused = client.post(OAUTH_TOKEN, {**ask, "client_secret": "guess"}, REMOTE_ADDR=IP)
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"
    granted = client.post(OAUTH_TOKEN, {**ask, "client_secret": secret}, REMOTE_ADDR=IP)
    assert granted.status_code == 200, granted.content
    assert granted.json()["access_token"]
