from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider.views import TokenView
from rest_framework.routers import DefaultRouter

from accounts.api import CurrentUserView, ObtainTokenView
from approvals.api import ApplicationViewSet, ItemViewSet, PermitVerifyView
from approvals.views.permits import verify_permit
from credit.commitments.api import CommitmentViewSet
from credit.grades.api import CreditGradeViewSet
from credit.inspections.api import CampaignViewSet, InspectionViewSet
from credit.records.api import CreditRecordViewSet
from credit.repair.api import RepairViewSet
from dashboards.api import StatsFigureView, StatsOverviewView, StatsSectionView
from datahub import views as hub_views
from datahub.api import DataCallViewSet, EnterpriseFactsView
from departments.api import DepartmentViewSet, DistrictViewSet
from directline.api import RequestViewSet
from disputes.api import DisputeViewSet
from enterprises.api import EnterpriseViewSet
from integrations.api import DeliveryViewSet, SubscriptionViewSet
from policies.api import PolicyVersionViewSet, PolicyViewSet
from recovery.api import RecoveryOrderViewSet
from subsidies.api import (
    ClaimViewSet,
    DisbursementViewSet,
    RosterConfirmView,
    RosterListView,
    RosterView,
)

from . import health, signing, views
from .api.views import api_not_found
from .notifications.api import NotificationViewSet

# Django's own error answers: JSON in the one error shape under /api/, pages elsewhere.
handler400 = "qinqing.api.views.bad_request"
handler403 = "qinqing.api.views.permission_denied"
handler404 = "qinqing.api.views.page_not_found"
handler500 = "qinqing.api.views.server_error"

admin.site.site_header = _("Qinqing back office")
admin.site.site_title = _("Qinqing")

router = DefaultRouter()
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("districts", DistrictViewSet, basename="district")
router.register("departments", DepartmentViewSet, basename="department")
router.register("data-calls", DataCallViewSet, basename="data-call")
router.register("policies", PolicyViewSet, basename="policy")
router.register("policy-versions", PolicyVersionViewSet, basename="policy-version")
router.register("claims", ClaimViewSet, basename="claim")
router.register("disbursements", DisbursementViewSet, basename="disbursement")
router.register("recovery-orders", RecoveryOrderViewSet, basename="recovery-order")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("credit/records", CreditRecordViewSet, basename="credit-record")
router.register("credit/grades", CreditGradeViewSet, basename="credit-grade")
router.register("credit/commitments", CommitmentViewSet, basename="credit-commitment")
router.register("credit/campaigns", CampaignViewSet, basename="credit-campaign")
router.register("credit/inspections", InspectionViewSet, basename="credit-inspection")
router.register("credit/repairs", RepairViewSet, basename="credit-repair")
router.register("approvals/applications", ApplicationViewSet, basename="approval-application")
router.register("approvals/items", ItemViewSet, basename="approval-item")
router.register("requests", RequestViewSet, basename="request")
router.register("disputes", DisputeViewSet, basename="dispute")
router.register("webhooks/subscriptions", SubscriptionViewSet, basename="webhook-subscription")
router.register("webhooks/deliveries", DeliveryViewSet, basename="webhook-delivery")

api_v1 = [
    path("enterprises/<str:uscc>/facts/", EnterpriseFactsView.as_view(), name="enterprise-facts"),
    path("approvals/permits/<str:code>/", PermitVerifyView.as_view(), name="permit-verify"),
    # The employer's roster of a policy paying persons: a version and an enterprise.
    path("rosters/", RosterListView.as_view(), name="roster-list"),
    path("rosters/<int:version>/<int:enterprise>/", RosterView.as_view(), name="roster-detail"),
    path(
        "rosters/<int:version>/<int:enterprise>/confirm/",
        RosterConfirmView.as_view(),
        name="roster-confirm",
    ),
    path("stats/overview/", StatsOverviewView.as_view(), name="stats-overview"),
    path("stats/figures/<slug:key>/", StatsFigureView.as_view(), name="stats-figure"),
    path("stats/<slug:section>/", StatsSectionView.as_view(), name="stats-section"),
    path("", include(router.urls)),
    path("me/", CurrentUserView.as_view(), name="me"),
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    # Partner systems: OAuth2 client credentials (only DOT's token view, no HTML pages).
    path("oauth/token/", TokenView.as_view(), name="oauth-token"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # The public keys that sign decision receipts (qinqing/signing.py), at a stable address.
    path(".well-known/jwks.json", signing.jwks_view, name="jwks"),
    path("accounts/", include("accounts.urls")),
    path(
        "enterprises/<str:uscc>/data-access/",
        hub_views.enterprise_data_access,
        name="enterprise_data_access",
    ),
    path("enterprises/", include("enterprises.urls")),
    path("official/data-calls/", hub_views.call_log, name="data_calls"),
    path("policies/", include("policies.urls")),
    path("claims/", include("subsidies.urls")),
    path("recovery/", include("recovery.urls")),
    path("credit/", include("credit.urls")),
    path("approvals/", include("approvals.urls")),
    path("requests/", include("directline.urls")),
    path("disputes/", include("disputes.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("permits/verify/", verify_permit, name="permit_verify"),
    path("notifications/", include("qinqing.notifications.urls")),
    path("data/interfaces/", hub_views.interface_registry, name="data_interfaces"),
    # The official's work queue (workspace, the read side), included by name.
    path("official/", include("workspace.urls")),
    # A private person's own pages (issue #26): profile, who read my data, my subsidies.
    path("me/", include("workspace.persons.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(http_method_names=["get", "head"]),
        name="schema",
    ),
    path(
        "api/docs/",
        # OPTIONS on the docs page made drf-spectacular look for a template (500).
        # The split view serves its start-up script from this URL (?script), not inline,
        # so the page works under the Content-Security-Policy.
        SpectacularSwaggerSplitView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="swagger-ui",
    ),
    # Anything else under /api/ is a JSON 404, never the HTML page.
    re_path(r"^api/", api_not_found),
]

if settings.SANDBOX:  # the simulators' endpoints (sandbox/), never in production by default
    urlpatterns.append(path("mock/", include("sandbox.urls")))
