"""`scripts/setup.sh` installs quietly: no setuptools warning box (the `project.license` deprecation, the
"Editable installation" notice) in what pip prints for the editable install of the gateway."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_the_editable_install_prints_no_setuptools_warning(tmp_path: Path) -> None:
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    # This environment's pip (the one setup.sh upgrades to) installs into the empty one: same output as setup.sh.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install",
         "--disable-pip-version-check", "--no-deps", "-e", str(REPO)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    printed = "\n".join(line for line in (result.stdout + result.stderr).splitlines() if "is ignored" not in line)
    assert "!!" not in printed and "Warning" not in printed, printed[-3000:]
    assert "license" not in printed.lower(), printed[-3000:]
    installed = list((target / "lib").glob("python3*/site-packages/__editable__.pakn_gateway-*.pth"))
    assert installed and installed[0].read_text().strip() == str(REPO)
