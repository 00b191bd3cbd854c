"""What credit plugs into the rest at start (loaded by qinqing's app, autodiscovered): the
hub's credit facts, answered from this app's tables (the hub never imports credit), and
the defaults a fresh database needs."""

from django.apps import apps
from django.db.models.signals import post_migrate

from datahub.providers import register_local_provider
from qinqing.workhours.services import DEADLINE_RECOMPUTERS

from . import hub
from .commitments.services import ensure_default_notices
from .deadlines import recompute_commitment_deadlines, recompute_result_deadlines
from .grades.selectors import scoring_model_in_force
from .lists.services import ensure_default_rules

register_local_provider(hub.INTERFACE, hub.answer, hub.extract)
# A missing year's holidays loaded: open verification dates and result limits move.
DEADLINE_RECOMPUTERS.register("credit.Commitment.verify_by", recompute_commitment_deadlines)
DEADLINE_RECOMPUTERS.register("credit.InspectionDraw.results_due", recompute_result_deadlines)


def _defaults(**kwargs) -> None:
    """The first scoring model, list rules and notices, when their tables are empty (a
    flushed test database; the data migration fills a new one)."""
    scoring_model_in_force()
    ensure_default_rules()
    ensure_default_notices()


post_migrate.connect(
    _defaults, sender=apps.get_app_config("credit"), dispatch_uid="credit.defaults"
)
