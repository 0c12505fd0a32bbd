"""What a deployed function ships: the `vaultra` package alone — never the development-only code
(the loopback Stripe API, the reference metrics, the demo) — with the history generator, which demo
data needs."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UV = REPO / ".tools" / "bin" / "uv"


@pytest.mark.skipif(not UV.exists(), reason="uv is installed by `make install`")
def test_the_built_wheel_holds_vaultra_and_nothing_of_vaultra_dev(tmp_path: Path) -> None:
    subprocess.run(
        [str(UV), "build", "--wheel", "--out-dir", str(tmp_path), "--python", sys.executable],
        cwd=REPO,
        check=True,
        capture_output=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    [wheel] = tmp_path.glob("vaultra-*.whl")

    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}

    assert "vaultra" in tops
    assert {top for top in tops if not top.endswith(".dist-info")} == {"vaultra"}
    assert "vaultra/sample_data/generator.py" in zipfile.ZipFile(wheel).namelist()
