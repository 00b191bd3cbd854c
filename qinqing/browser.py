"""Starting the system Chromium for the browser tests and the screenshot script.

This machine's Chromium runs as root and without network access: it needs --no-sandbox, and
--disable-background-networking so that it does not try to reach Google's services.
"""

import os
import shutil
from typing import Any

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_executable() -> str | None:
    return CHROMIUM_PATH if os.path.exists(CHROMIUM_PATH) else shutil.which("chromium")


def launch_chromium(playwright: Any) -> Any:
    """A headless Playwright browser on the system Chromium (never a downloaded one)."""
    return playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
