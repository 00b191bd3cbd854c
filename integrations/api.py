"""Webhooks over REST: a partner's own subscriptions and deliveries (another's are 404),
every write a service call."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from qinqing.api.idempotency import idempotent, reveal_once
from qinqing.events.registry import EVENT_TYPES

from . import dispatching, selectors, signing, subscribing
from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class SubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES.keys()), allow_empty=False
    )
    url = serializers.CharField(max_length=500)
    secret_hint = serializers.SerializerMethodField()

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "event_types", "active", "secret_hint", "created_at"]
        read_only_fields = ["id", "secret_hint", "created_at"]

    def get_secret_hint(self, subscription: WebhookSubscription) -> str:
        """The secret's last four characters: which one is in use, not the secret."""
        return signing.secret_hint(subscription)


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    # Not read-only, so that the schema does not make it required: a replay of the creation
    # (the same Idempotency-Key) answers the same body without it (reveal_once). Only
    # ever used to describe the answer.
    secret = serializers.CharField(
        required=False,
        help_text="Shown in the creation's answer only, never in a replay: keep it to verify "
        "signatures.",
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "manual", "started_at", "status_code", "error", "response_ms",
                  "succeeded"]  # fmt: skip
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.event_type", read_only=True)
    event_id = serializers.IntegerField(source="event.pk", read_only=True)
    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    attempt_log = AttemptSerializer(source="attempt_rows", many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "subscription", "event_id", "event_type", "status", "attempts",
                  "next_attempt_at", "last_attempt_at", "last_status_code", "last_error",
                  "response_ms", "created_at", "attempt_log"]  # fmt: skip
        read_only_fields = fields


class SubscriptionViewSet(viewsets.ModelViewSet):
    """Your webhook subscriptions. The signing secret is in the answer to the creation
    only; events reach you only when your account may see them."""

    serializer_class = SubscriptionSerializer
    filterset_fields = ["active"]
    ordering_fields = ["created_at", "name"]
    ordering = ["-created_at", "-id"]
    scope_resource = "webhooks"  # partner clients need webhooks:manage (partners/scopes.py)
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.subscriptions_of(self.request.user).order_by("-created_at", "-id")

    @extend_schema(responses={201: CreatedSubscriptionSerializer})
    @reveal_once("secret", attribute="revealed_secret")
    @idempotent()
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SubscriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = subscribing.create_subscription(
            owner=request.user, actor=request.user, **data.validated_data
        )
        # The body without the secret (the one an Idempotency-Key keeps); the secret is
        # added on the way out, by reveal_once.
        response = Response(SubscriptionSerializer(subscription).data,
                            status=status.HTTP_201_CREATED)  # fmt: skip
        response.revealed_secret = subscription.revealed_secret
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        partial = kwargs.get("partial", False)
        data = SubscriptionSerializer(subscription, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        changed = subscribing.update_subscription(
            subscription.pk, actor=request.user, **data.validated_data
        )
        return Response(SubscriptionSerializer(changed).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        subscribing.delete_subscription(subscription.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={
            200: inline_serializer(
                "EventType",
                {"code": serializers.CharField(), "description": serializers.CharField()},
                many=True,
            )
        }
    )
    @action(detail=False, methods=["get"], url_path="event-types", pagination_class=None,
            filter_backends=[])  # fmt: skip
    def event_types(self, request: Request) -> Response:
        """The event types you may subscribe to."""
        return Response([{"code": code, "description": str(event_type.description)}
                         for code, event_type in EVENT_TYPES.items()])  # fmt: skip


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deliveries to your subscriptions, newest first; `?status=failed` for the ones being
    retried, `given_up` for those that need a redelivery."""

    serializer_class = DeliverySerializer
    filterset_fields = ["status", "subscription"]
    ordering_fields = ["id", "created_at", "next_attempt_at", "attempts"]
    ordering = ["-id"]
    scope_resource = "webhooks"

    def get_queryset(self):
        attempts = WebhookAttempt.objects.order_by("started_at", "id")
        return (
            selectors.deliveries_of(self.request.user)
            .prefetch_related(Prefetch("attempt_rows", queryset=attempts))
            .order_by("-id")
        )

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @idempotent()
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        """Send it again now (also after success or giving up): a fresh series of attempts."""
        delivery = self.get_object()
        dispatching.redeliver(delivery.pk, actor=request.user)
        return Response(DeliverySerializer(self.get_queryset().get(pk=delivery.pk)).data,
                        status=status.HTTP_202_ACCEPTED)  # fmt: skip
