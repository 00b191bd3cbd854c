"""The load test's mix of users (locust): run by bench/load.py and bench/floor.py as a process
of its own (gevent never enters a Django process), against gunicorn on loopback.

    locust -f bench/locustfile.py --headless --host http://127.0.0.1:PORT ...

LOAD_FIXTURE names the JSON written by bench/load.py's preparation (sessions, tokens, the
partner client, which enterprise may claim which policy). LOAD_MIX=floor runs only the
framework floor (bench/urls.py); LOAD_STATUS_OUT names a JSON file that receives, at the
end, every route's count of answers by HTTP status (locust's CSV has no 5xx column).

Routes are named, not left as URLs, so that one row of the results is one kind of request.
"""

import itertools
import json
import os
import random
import re
import secrets
import string
from collections import defaultdict
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task


def _fixture() -> dict:
    path = os.environ.get("LOAD_FIXTURE")
    if not path:
        return {}
    with open(path) as source:
        return json.load(source)


FIXTURE = _fixture()
MIX = os.environ.get("LOAD_MIX", "app")
MAX_POLLS = int(os.environ.get("LOAD_MAX_POLLS", "8"))
# Think time between a user's actions (seconds); the floor runs without any.
WAIT = between(float(os.environ.get("LOAD_WAIT_MIN", "0.5")),
               float(os.environ.get("LOAD_WAIT_MAX", "2")))  # fmt: skip
HTMX = {"HX-Request": "true", "HX-Target": "claim-status"}
# The panel asks again only while the claim is unsettled, every N seconds; every 30 s while
# an official reviews it, when the user leaves the page instead (it would take hours).
# The short form (CI) starts each user with every one of its routes, so that a run of a few
# seconds exercises them all whatever the dice.
VISIT_ALL = os.environ.get("LOAD_VISIT_ALL") == "1"
STILL_POLLING = re.compile(r'id="claim-status"[^>]*hx-trigger="every ([0-9.]+)s"')
LEAVE_AFTER_SECONDS = 5

statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))


@events.request.add_listener
def _count_status(name, response=None, exception=None, **_kwargs) -> None:
    code = getattr(response, "status_code", None)
    statuses[name][str(code) if code else type(exception).__name__ if exception else "none"] += 1


@events.quitting.add_listener
def _write_statuses(**_kwargs) -> None:
    target = os.environ.get("LOAD_STATUS_OUT")
    if target:
        with open(target, "w") as out:
            json.dump({name: dict(codes) for name, codes in statuses.items()}, out, indent=2)


def _claimables(user: dict):
    """The user's (enterprise, policy) pairs not yet claimed, handed out once each, so that
    every claim submitted is a new one (a second submission only returns the first)."""
    pairs = [tuple(pair) for pair in user["claimables"]]
    random.Random(user["session"]).shuffle(pairs)
    return iter(pairs)


CLAIMABLE = [_claimables(user) for user in FIXTURE.get("enterprise_users", [])]
ENTERPRISE_USERS = itertools.cycle(range(len(CLAIMABLE) or 1))


class _Logged(FastHttpUser):
    """geventhttpclient (FastHttpUser): a few times cheaper per request than requests, which
    matters when the load generator shares two cores with the server."""

    abstract = True
    wait_time = WAIT

    def on_start(self) -> None:
        self.headers: dict[str, str] = {}
        self.begin()
        if VISIT_ALL:  # every route once first, then the weighted mix
            for action in dict.fromkeys(self.tasks):
                action(self)

    def begin(self) -> None:
        """Log in, or whatever the kind of user does first."""

    def login_as(self, session_key: str) -> None:
        """Sessions are made beforehand (bench/load.py): the mix measures pages, not the
        deliberately slow password hash of a login. The CSRF cookie is ours too (a 32-char
        secret, which Django accepts as it is in the form), so a form never needs a GET."""
        self.csrf = "".join(secrets.choice(string.ascii_letters + string.digits)
                            for _ in range(32))  # fmt: skip
        self.headers = {"Cookie": f"sessionid={session_key}; csrftoken={self.csrf}"}

    def ok(self, url: str, name: str, headers: dict | None = None):
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False,
                             headers={**self.headers, **(headers or {})}) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {response.error or ''}".strip())
            return response


class Visitor(_Logged):
    """Anyone on the public site: the policy catalog and a policy's page."""

    weight = 3

    @task(3)
    def catalog(self) -> None:
        self.ok("/policies/", "public: policy catalog")

    @task(3)
    def policy(self) -> None:
        self.ok(f"/policies/{random.choice(FIXTURE['policies'])}/", "public: policy page")

    @task(1)
    def home(self) -> None:
        self.ok("/", "public: home")

    @task(1)
    def stylesheet(self) -> None:
        self.ok("/static/qinqing/site.css", "static: site.css")


class Enterprise(_Logged):
    """An enterprise member: the calculator, a claim, its live page until settled, the list."""

    weight = 4

    def begin(self) -> None:
        self.index = next(ENTERPRISE_USERS)
        self.me = FIXTURE["enterprise_users"][self.index]
        self.login_as(self.me["session"])

    @task(3)
    def calculator(self) -> None:
        uscc = random.choice(self.me["enterprises"])
        self.ok(f"/policies/calculator/?uscc={uscc}", "enterprise: policy calculator")

    @task(2)
    def claim(self) -> None:
        pair = next(CLAIMABLE[self.index], None)
        if pair is None:  # every pair claimed: look at the list instead
            self.claims()
            return
        uscc, code = pair
        form = urlencode({"uscc": uscc, "csrfmiddlewaretoken": self.csrf})
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        with self.client.post(f"/claims/claim/{code}/", data=form, headers=headers,
                              name="enterprise: submit claim", catch_response=True,
                              allow_redirects=False) as response:  # fmt: skip
            location = (response.headers or {}).get("Location", "")
            if response.status_code != 302 or not re.search(r"/claims/\d+/$", location):
                response.failure(f"HTTP {response.status_code} to {location!r}")
                return
            location = re.sub(r"^https?://[^/]+", "", location)
        page = self.ok(location, "enterprise: live claim page")
        body = page.text if page.status_code == 200 else ""
        for _ in range(MAX_POLLS):
            polling = STILL_POLLING.search(body)
            if not polling or float(polling.group(1)) > LEAVE_AFTER_SECONDS:
                break
            self._sleep(float(polling.group(1)))
            panel = self.ok(location, "enterprise: claim status poll (htmx)", headers=HTMX)
            body = panel.text if panel.status_code == 200 else ""

    def _sleep(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)

    @task(1)
    def claims(self) -> None:
        self.ok("/claims/", "enterprise: my claims")

    @task(1)
    def api_claims(self) -> None:
        self.ok("/api/v1/claims/", "api (session): my claims",
                headers={"Accept": "application/json"})  # fmt: skip


class Official(_Logged):
    """A department official: the claims, approvals and requests lists and the dashboards."""

    weight = 2

    def begin(self) -> None:
        self.login_as(random.choice(FIXTURE["officials"])["session"])

    @task(2)
    def claims(self) -> None:
        self.ok("/claims/", "official: claims list")

    @task(1)
    def claims_page(self) -> None:
        self.ok("/claims/?page=3", "official: claims list, page 3")

    @task(2)
    def approvals(self) -> None:
        self.ok("/approvals/review/", "official: approvals queue")

    @task(2)
    def requests(self) -> None:
        self.ok("/requests/queue/", "official: requests queue")

    @task(2)
    def dashboard(self) -> None:
        self.ok("/dashboards/", "official: dashboard overview")

    @task(1)
    def dashboard_section(self) -> None:
        section = random.choice(FIXTURE["dashboard_sections"])
        self.ok(f"/dashboards/{section}/", "official: dashboard section")

    @task(1)
    def workspace(self) -> None:
        self.ok("/official/", "official: workspace")


class ApiToken(_Logged):
    """Another system of the city calling the API with a user's token."""

    weight = 1

    def begin(self) -> None:
        self.headers = {"Authorization": f"Token {random.choice(FIXTURE['api_tokens'])}"}

    @task(2)
    def policies(self) -> None:
        self.ok("/api/v1/policies/", "api (token): policies")

    @task(2)
    def claims(self) -> None:
        self.ok("/api/v1/claims/?page=2", "api (token): claims, page 2")

    @task(1)
    def stats(self) -> None:
        self.ok("/api/v1/stats/overview/", "api (token): stats overview")


class Partner(_Logged):
    """A partner system: OAuth2 client credentials, then scoped reads."""

    weight = 1

    def begin(self) -> None:
        partner = FIXTURE["partner"]
        # Behind the TLS proxy in production; OAuth2 refuses plain HTTP, so say what it would.
        headers = {"X-Forwarded-Proto": "https",
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        with self.client.post("/api/v1/oauth/token/", name="api (oauth): token",
                              data=urlencode({"grant_type": "client_credentials"}),
                              auth=(partner["client_id"], partner["client_secret"]),
                              headers=headers, catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            token = response.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    @task(1)
    def policies(self) -> None:
        self.ok("/api/v1/policies/", "api (oauth): policies")

    @task(1)
    def claims(self) -> None:
        self.ok("/api/v1/claims/", "api (oauth): claims")


class Floor(FastHttpUser):
    """The framework floor (bench/urls.py): a minimal view, no think time."""

    weight = 1
    wait_time = between(0, 0)

    @task
    def floor(self) -> None:
        self.client.get("/bench/floor/", name="floor: minimal view")


# LOAD_MIX picks the classes: locust runs every non-abstract HttpUser defined here.
if MIX == "floor":
    for _cls in (Visitor, Enterprise, Official, ApiToken, Partner):
        _cls.abstract = True
else:
    Floor.abstract = True
