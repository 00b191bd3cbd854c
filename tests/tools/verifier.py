"""Running tools/verify.py as an outsider would: a separate Python in isolated mode (no
project path, no user site) where Django cannot be imported at all."""

import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify.py"
# sys.modules["django"] = None makes every `import django…` fail, as on a machine without it.
POISON = (
    "import runpy, sys; sys.modules['django'] = None; "
    "sys.argv = ['verify.py', *sys.argv[1:]]; "
    f"runpy.run_path({str(TOOL)!r}, run_name='__main__')"
)


def run_verifier(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", "-c", POISON, *args],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
