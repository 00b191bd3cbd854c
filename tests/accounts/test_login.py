"""Logging in, out, changing passwords, and brute-force protection (django-axes)."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    return UserFactory(username="wang")


def login(client, username="wang", password=PASSWORD, ip="10.0.0.1"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_login_with_right_password_lands_on_home(client, user):
    response = login(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == user


def test_official_lands_on_their_workspace(client, official_xihu):
    client.force_login(official_xihu)
    assert client.get(reverse("home"))["Location"] == reverse("official_workspace")


def test_wrong_password_shows_an_error_summary(client, user):
    response = login(client, password="wrong")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'role="alert"' in response.content.decode()


def test_lockout_after_the_failure_limit_even_with_the_right_password(client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, password="wrong").status_code == 200
    # The failure that reaches the limit is answered with the lockout page.
    assert login(client, password="wrong").status_code == 429
    locked = login(client)  # right password, but locked out now
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not punished for this one's attempts.
    assert login(client, ip="10.0.0.2").status_code == 302


def test_successful_login_resets_the_failure_count(client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, password="wrong")
    assert login(client).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, password="wrong")
    assert login(client).status_code == 302


def test_api_token_endpoint_counts_towards_the_same_lockout(api_client, user):
    url = reverse("v1:token")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = api_client.post(
            url, {"username": "wang", "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
        )
        assert response.status_code == 400
    response = api_client.post(
        url, {"username": "wang", "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429  # the failure that reaches the limit locks
    response = api_client.post(
        url, {"username": "wang", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert "token" not in response.json()
    assert "minutes" in response.json()["detail"] or "分钟" in response.json()["detail"]


def test_token_authenticates_api_calls(api_client, member):
    member.set_password(PASSWORD)
    member.save()
    token = api_client.post(
        reverse("v1:token"), {"username": member.username, "password": PASSWORD}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get(reverse("v1:me")).json()
    assert me["username"] == member.username
    assert me["role"] == "enterprise"
    assert len(me["enterprises"]) == 1


def test_logout_needs_post_and_ends_the_session(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change(client, user):
    client.force_login(user)
    url = reverse("accounts:password_change")
    bad = client.post(url, {"old_password": "nope", "new_password1": "a", "new_password2": "b"})
    assert bad.status_code == 200 and bad.context["form"].errors
    good = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "Qq-new-pass-2026!",
            "new_password2": "Qq-new-pass-2026!",
        },
    )
    assert good["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password("Qq-new-pass-2026!")
