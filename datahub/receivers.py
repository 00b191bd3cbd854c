"""The register tells the hub of a new person (enterprises imports nothing above it): the
person's rows of the person extracts are brought up to date at once, by the same per-row
refresh as an enterprise's (extracts.refresh.refresh_rows with the persons' subject), in a task
queued by name. Loaded at start by qinqing's app (autodiscovered "receivers")."""

import logging
from typing import Any

from enterprises.persons.signals import person_registered
from qinqing.queueing import queue

logger = logging.getLogger(__name__)
PERSON_ROWS_TASK = "datahub.tasks.refresh_person_rows"


def on_person_registered(sender: Any = None, *, person_id: int, **kwargs: Any) -> None:
    """Sent once the registration committed. Never raises: a task lost here leaves the
    person to the next full refresh of the person extracts, whose diff finds them new."""
    try:
        queue(PERSON_ROWS_TASK, [int(person_id)])
    except Exception:
        logger.exception("person extract rows of person %s not queued", person_id)


person_registered.connect(on_person_registered, dispatch_uid="datahub.person_rows_on_register")
