"""Loaded at start (qinqing's app autodiscovers `receivers`): the OpenAPI description of
the partners' bearer tokens registers itself with drf-spectacular when imported, and every
change that makes a cached token verification stale forgets it (partners/oauth.py)."""

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from oauth2_provider.models import get_access_token_model, get_application_model

from accounts.models import User

from . import schema  # noqa: F401
from .models import PartnerClient
from .oauth import forget_tokens

AccessToken = get_access_token_model()


def _forget(tokens: Any) -> None:
    forget_tokens(tokens.values_list("token_checksum", flat=True))


@receiver(post_save, sender=AccessToken, dispatch_uid="partners.forget_token_saved")
@receiver(post_delete, sender=AccessToken, dispatch_uid="partners.forget_token_deleted")
def _token_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Revoked (deleted) or changed (scope, expiry): verified afresh on its next use."""
    forget_tokens([instance.token_checksum])


@receiver(post_save, sender=PartnerClient, dispatch_uid="partners.forget_client_saved")
@receiver(post_delete, sender=PartnerClient, dispatch_uid="partners.forget_client_deleted")
def _client_changed(sender: Any, instance: PartnerClient, **kwargs: Any) -> None:
    """Deactivated, scopes narrowed, rate or binding changed: every token of the client."""
    _forget(AccessToken.objects.filter(application_id=instance.application_id))


@receiver(post_save, sender=get_application_model(), dispatch_uid="partners.forget_app_saved")
@receiver(post_delete, sender=get_application_model(),
          dispatch_uid="partners.forget_app_deleted")  # fmt: skip
def _application_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    _forget(AccessToken.objects.filter(application_id=instance.pk))


@receiver(post_save, sender=User, dispatch_uid="partners.forget_service_user_saved")
def _user_changed(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    """A service user deactivated or rebound (department, district): its client's tokens.
    A log-in's own save (the last log-in time only) changes nothing a token carries."""
    if kwargs.get("created") or set(update_fields or ()) == {"last_login"}:
        return
    serving = Q(application__partner_client__service_user_id=instance.pk)
    _forget(AccessToken.objects.filter(Q(user_id=instance.pk) | serving))
