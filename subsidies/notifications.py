"""Telling an enterprise's members what happened to its claims, in the portal and by
e-mail. Who hears is decided here (qinqing.notifications knows users, not enterprises);
the texts are rendered in each recipient's language when sent."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.notification_kinds import POLICY_FITS
from qinqing.bulk import any_of
from qinqing.i18n import CHINESE, ENGLISH, in_languages
from qinqing.notifications.models import Notification, NotificationPreference
from qinqing.notifications.registry import NOTIFICATION_KINDS as KINDS
from qinqing.notifications.services import enqueue_emails
from qinqing.notifications.text import Message
from subsidies.notification_kinds import NotificationKind

from .models import ClaimStatus

K = NotificationKind
# The statuses an enterprise hears about, and as which kind (what its members can turn off).
CLAIM_NOTICES: dict[str, str] = {
    ClaimStatus.PAID: K.CLAIM_PAID,
    ClaimStatus.INELIGIBLE: K.CLAIM_INELIGIBLE,
    ClaimStatus.AWAITING_DATA: K.CLAIM_AWAITING_DATA,
    ClaimStatus.PAYMENT_FAILED: K.CLAIM_PAYMENT_FAILED,
    ClaimStatus.OFFERED: POLICY_FITS,
    # Apply-mode policies: the check found the claim eligible and an official reviews it.
    ClaimStatus.IN_REVIEW: K.CLAIM_IN_REVIEW,
    # Eligible, but the amount comes to nothing: the claim ends without a payment.
    ClaimStatus.NOTHING_DUE: K.CLAIM_NOTHING_DUE,
}

# Kind -> (title, body); {amount} is yuan with separators, {policy} the policy's title in
# the recipient's language, {enterprise} the registered name.
TEXTS = {
    K.CLAIM_PAID: (
        _("Subsidy paid: ¥{amount} from {policy}"),
        _("¥{amount} under “{policy}” has been paid to the bank account of {enterprise}."),
    ),
    K.CLAIM_INELIGIBLE: (
        _("Claim not eligible: {policy}"),
        _(
            "The claim of {enterprise} under “{policy}” does not meet the conditions. The claim "
            "page shows each condition and the department data it was checked against."
        ),
    ),
    K.CLAIM_AWAITING_DATA: (
        _("Claim waiting for department data: {policy}"),
        _(
            "Some department data needed to decide the claim of {enterprise} under “{policy}” "
            "is not available yet. The claim is checked again automatically; there is nothing "
            "you need to do."
        ),
    ),
    K.CLAIM_PAYMENT_FAILED: (
        _("Subsidy payment failed: {policy}"),
        _(
            "The payment of ¥{amount} under “{policy}” to {enterprise} did not go through. "
            "Please check the enterprise's bank details on record: it is tried again "
            "automatically once you update your bank details."
        ),
    ),
    K.CLAIM_IN_REVIEW: (
        _("Claim under review: {policy}"),
        _(
            "{enterprise} meets the conditions of “{policy}” (¥{amount}). The issuing "
            "department reviews the claim; the payment follows as soon as it is approved. "
            "There is nothing you need to do."
        ),
    ),
    K.CLAIM_NOTHING_DUE: (
        _("Nothing to pay on your claim: {policy}"),
        _(
            "{enterprise} meets the conditions of “{policy}”, but for this period the amount "
            "comes to ¥0.00, so no payment is made. The claim page shows how the amount was "
            "computed. There is nothing you need to do."
        ),
    ),
    POLICY_FITS: (
        _("Subsidy offered: ¥{amount} from {policy}"),
        _(
            "{enterprise} qualifies for ¥{amount} under “{policy}”. Confirm on the claim page "
            "to receive it; no documents are needed."
        ),
    ),
}


# Stand-ins for each claim's own values in texts rendered once per kind and language,
# replaced in SQL (private-use characters: no msgid contains them).
AMOUNT, POLICY, ENTERPRISE = "\ue000A\ue000", "\ue000P\ue000", "\ue000E\ue000"
TITLE_LENGTH = Notification._meta.get_field("title").max_length


# A person's own claim (issue #26): the person hears of it, never the employer's members
# (who see it only as a line of their roster). The same texts, {enterprise} being the
# person's name; an offer waits for the employer's confirmation, so the person's words say so.
PERSON_TEXTS = {
    POLICY_FITS: (
        _("You qualify: ¥{amount} from {policy}"),
        _(
            "{enterprise}, you qualify for ¥{amount} under “{policy}”. Your employer confirms "
            "its roster of employees, and the money is then paid to the account of your "
            "social security card."
        ),
    ),
    K.CLAIM_PAID: (
        _("Subsidy paid: ¥{amount} from {policy}"),
        _(
            "¥{amount} under “{policy}” has been paid to the account of your social security "
            "card, {enterprise}."
        ),
    ),
    K.CLAIM_PAYMENT_FAILED: (
        _("Subsidy payment failed: {policy}"),
        _(
            "The payment of ¥{amount} under “{policy}” did not go through: the social security "
            "card's account was not known or was refused. It is tried again."
        ),
    ),
}
# Who hears of a claim: the enterprise's members (its own claims) or the person.
_RECIPIENTS = {
    "enterprise": ("JOIN enterprises_enterprisemembership m ON m.enterprise_id = c.enterprise_id "
                   "JOIN enterprises_enterprise e ON e.id = c.enterprise_id", "e.name",
                   "c.person_id IS NULL"),
    "person": ("JOIN enterprises_person m ON m.id = c.person_id", "m.name",
               "c.person_id IS NOT NULL"),
}  # fmt: skip


def notify_claims(claim_ids: Iterable[int], status: str) -> QuerySet[Notification]:
    """Many claims that reached one status at once (a batch chunk's payments or offers):
    one INSERT … SELECT writes a notification for each active member of each claim's
    enterprise — or, for a person's claim, for the person alone (the employer is not told
    of its employees' claims) — its text filled in by the database (nothing is loaded, and
    when nobody is to be told nothing is written); members who turned the kind off
    entirely get none, and those who want it by e-mail have it queued on commit. Returns
    the notifications made, as a query (read only if the caller looks). Pass one batch
    chunk at a time."""
    ids = [int(pk) for pk in claim_ids]
    if not ids:
        return Notification.objects.none()
    kind = CLAIM_NOTICES[status]
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}: register it first")
    vendor = connection.vendor
    if vendor == "postgresql":
        amount = "to_char(c.amount, 'FM999,999,999,999,990.00')"
    else:  # SQLite: thousands separators for whole numbers only ('%%': the driver's escape)
        amount = ("(printf('%%,d', CAST(c.amount AS INTEGER)) || '.' || "
                  "substr(printf('%%.2f', c.amount), -2))")  # fmt: skip
    amount = f"COALESCE({amount}, '—')"
    only_first = "AND c.checks <= 1" if kind == K.CLAIM_AWAITING_DATA else ""
    # The ids as one array parameter on PostgreSQL (qinqing.bulk.any_of's reason: two
    # thousand placeholders cost more to send and parse than the insert they feed).
    among, id_params = (("= ANY(%s)", [ids]) if vendor == "postgresql"
                        else (f"IN ({', '.join(['%s'] * len(ids))})", ids))  # fmt: skip
    true = "TRUE" if vendor == "postgresql" else "1"
    now = timezone.now()
    selects, params_sql = [], []
    for recipients in ("enterprise", "person"):
        title, body = TEXTS[kind]
        if recipients == "person":
            title, body = PERSON_TEXTS.get(kind, (title, body))
        join, payee, whose = _RECIPIENTS[recipients]
        params = {"amount": AMOUNT, "policy": POLICY, "enterprise": ENTERPRISE}
        titles = in_languages(Message(title, **params))
        bodies = in_languages(Message(body, **params))

        def filled(column: str, payee: str = payee) -> str:
            """A text rendered once (a parameter), each claim's values put in by the
            database."""
            return (f"replace(replace(replace(%s, '{AMOUNT}', {amount}), "
                    f"'{POLICY}', p.{column}), '{ENTERPRISE}', {payee})")  # fmt: skip

        zh, en = filled("title_zh"), filled("title_en")
        # The English is blank where it reads the same as the Chinese (as notify_many does).
        selects.append(f"""
        SELECT m.user_id, %s, substr({zh}, 1, {TITLE_LENGTH}),
               CASE WHEN {en} = {zh} THEN '' ELSE substr({en}, 1, {TITLE_LENGTH}) END,
               {zh}, CASE WHEN {en} = {zh} THEN '' ELSE {en} END,
               '/claims/' || c.id || '/', COALESCE(pr.in_app, {true}), %s
        FROM chosen c
        {join}
        JOIN accounts_user u ON u.id = m.user_id
        JOIN policies_policy p ON p.id = c.policy_id
        LEFT JOIN notifications_notificationpreference pr
               ON pr.user_id = m.user_id AND pr.kind = %s
        WHERE {whose} AND u.is_active
          AND (pr.id IS NULL OR pr.in_app OR pr.email)""")  # noqa: S608 - ids are parameters
        zt, et = titles[CHINESE], titles[ENGLISH]
        zb, eb = bodies[CHINESE], bodies[ENGLISH]
        params_sql += [kind, zt, et, zt, et, zb, eb, zb, eb, now, kind]
    # One statement for both: the enterprises' members, and the persons, from one read of
    # the claims (materialised: each branch joins the rows read once).
    materialized = "MATERIALIZED" if vendor == "postgresql" else ""
    statement = f"""
        WITH chosen AS {materialized} (
            SELECT c.id, c.enterprise_id, c.person_id, c.policy_id, c.amount
            FROM subsidies_claim c WHERE c.id {among} {only_first})
        INSERT INTO notifications_notification
            (recipient_id, kind, title, title_en, body, body_en, link, in_app, created_at)
        {" UNION ALL ".join(selects)}
        RETURNING id, recipient_id"""  # noqa: S608 - the ids are parameters
    with connection.cursor() as cursor:
        cursor.execute(statement, [*id_params, *params_sql])
        made = cursor.fetchall()
    if not made:
        return Notification.objects.none()
    silent = set(NotificationPreference.objects.filter(
        any_of("user_id", {user for _pk, user in made}), kind=kind, email=False,
    ).values_list("user_id", flat=True))  # fmt: skip
    emailed = [pk for pk, user in made if user not in silent]
    if emailed:
        transaction.on_commit(lambda: enqueue_emails(emailed), robust=True)
    return Notification.objects.filter(any_of("pk", [pk for pk, _user in made]))
