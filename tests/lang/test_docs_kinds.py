"""The architecture names notification kinds that exist (it said `policy.push`, now
`policy.fits`)."""

import re
from pathlib import Path

from django.conf import settings

from qinqing.notifications.registry import NOTIFICATION_KINDS


def test_every_kind_the_architecture_names_is_registered():
    text = (Path(settings.BASE_DIR) / "docs" / "architecture.md").read_text()
    named = re.findall(r"kind `([a-z_]+\.[a-z_.]+)`", text)
    assert named, "the architecture names the policy push's kind"
    assert [kind for kind in named if kind not in NOTIFICATION_KINDS] == []
