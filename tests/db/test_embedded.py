"""The embedded server is stopped by the last process attached to it; a process that died without
its exit hooks must not keep it running forever, so dead holders are forgotten before attaching."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from vaultra.db.embedded import forget_dead_holders


def a_pid_that_has_exited() -> int:
    code = "import os; print(os.getpid())"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(done.stdout)


def test_holders_that_exited_are_forgotten_and_live_ones_kept(tmp_path: Path) -> None:
    dead = a_pid_that_has_exited()
    (tmp_path / ".handle_pids.json").write_text(json.dumps([dead, os.getpid()]))

    assert forget_dead_holders(tmp_path) == [dead]
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [os.getpid()]


def test_a_directory_without_holders_or_with_a_damaged_list_is_left_alone(tmp_path: Path) -> None:
    assert forget_dead_holders(tmp_path) == []
    assert not (tmp_path / ".handle_pids.json").exists()

    (tmp_path / ".handle_pids.json").write_text("{not json")
    assert forget_dead_holders(tmp_path) == []
    assert (tmp_path / ".handle_pids.json").read_text() == "{not json"
