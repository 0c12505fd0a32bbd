"""CPU seconds used by the parts of a benchmark (Linux /proc): client, server, PostgreSQL.

- the client is this process (load generator threads, or the backfill loop) and any load generator
  processes it names;
- the server is every process of the functions-framework process group (gunicorn master, workers);
- PostgreSQL is its postmaster, the backends alive now, and the backends that already exited
  (the postmaster's reaped-children times);
- other is every other process on the machine (other programs running at the same time make the
  results worse; this says by how much they competed).
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return raw[raw.rindex(")") + 2 :].split()


def _fields() -> list[tuple[int, list[str]]]:
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                out.append((int(entry.name), fields))
    return out


# Indices after the command name: state=0, ppid=1, pgrp=2, ..., utime=11, stime=12, cutime=13,
# cstime=14.
def _own(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / _TICK


def _reaped(fields: list[str]) -> float:
    return (int(fields[13]) + int(fields[14])) / _TICK


@dataclass(frozen=True)
class CpuSample:
    client: float
    server: float
    postgres: float
    others: dict[int, float]  # every other process: CPU seconds so far, by pid
    wall: float  # when the sample was taken (perf_counter), or the time between two samples

    @property
    def other(self) -> float:
        """CPU seconds of other programs (in a difference: of those running at its end)."""
        return sum(self.others.values())

    def __sub__(self, before: CpuSample) -> CpuSample:
        return CpuSample(
            self.client - before.client,
            self.server - before.server,
            self.postgres - before.postgres,
            {pid: t - before.others.get(pid, 0.0) for pid, t in self.others.items()},
            self.wall - before.wall,
        )


def sample(
    server_pgid: int | None, postmaster_pid: int | None, client_pids: Collection[int] = ()
) -> CpuSample:
    times = os.times()
    client = times.user + times.system
    me = os.getpid()
    server = postgres = 0.0
    others: dict[int, float] = {}
    for pid, fields in _fields():
        if pid == me:
            continue
        if pid in client_pids:
            client += _own(fields)
            continue
        if server_pgid is not None and int(fields[2]) == server_pgid:
            server += _own(fields)
        elif postmaster_pid is not None and pid == postmaster_pid:
            postgres += _own(fields) + _reaped(fields)
        elif postmaster_pid is not None and int(fields[1]) == postmaster_pid:
            postgres += _own(fields)
        else:
            others[pid] = _own(fields)
    return CpuSample(client, server, postgres, others, time.perf_counter())
