"""Keys a local runtime makes for itself, once, under VAULTRA_HOME (mode 0600), so the demo and a
developer's `vaultra serve` need no set-up. A deployed runtime never makes one: a key made there
would exist on one instance only (`vaultra.config.check_deployment` refuses to start without it)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def local_key(home: Path, name: str, make: Callable[[], bytes]) -> bytes:
    """The key in `home/name`, made with `make()` the first time (safe against a concurrent
    first use: only one process creates the file)."""
    path = home / name
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(make())
    return path.read_bytes().strip()
