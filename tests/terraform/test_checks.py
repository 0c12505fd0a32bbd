"""The checks that run here on all of terraform/ (no provider can be downloaded, so neither
`validate` nor `plan` can): `terraform fmt`, and checkov with zero failed checks, every skip
written on its resource with the reason."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.terraform.hcl import REPO, TERRAFORM

CHECKOV = REPO / ".tools" / "checkov" / "bin" / "checkov"
SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(.*)")


def test_terraform_is_formatted() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on this machine (fmt needs no provider, only the binary)")
    done = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"run `terraform fmt -recursive terraform`:\n{done.stdout}"


@pytest.mark.integration
def test_checkov_finds_no_failed_check(tmp_path: Path) -> None:
    assert CHECKOV.is_file(), "checkov is not installed: run `make checkov`"
    report = tmp_path / "checkov"
    subprocess.run(
        [
            str(CHECKOV), "--directory", str(TERRAFORM), "--framework", "terraform",
            "--skip-download", "--quiet", "--output", "json", "--output-file-path", str(report),
        ],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    [result] = list(report.glob("*.json"))
    found = json.loads(result.read_text("utf-8"))
    summary = found["summary"] if isinstance(found, dict) else found[0]["summary"]
    failed = found["results"]["failed_checks"] if isinstance(found, dict) else []
    assert summary["passed"] > 0, "checkov scanned nothing"
    assert summary["failed"] == 0, [(f["check_id"], f["resource"], f["file_path"]) for f in failed]


def test_every_checkov_skip_says_why() -> None:
    unexplained = [
        f"{tf.relative_to(REPO)}:{n}"
        for tf in sorted(TERRAFORM.rglob("*.tf"))
        for n, line in enumerate(tf.read_text("utf-8").splitlines(), 1)
        if (skip := SKIP.search(line)) and len(skip.group(2).strip(" :-")) < 10
    ]
    assert unexplained == []
