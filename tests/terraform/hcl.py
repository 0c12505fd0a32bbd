"""Terraform read as data (python-hcl2): what the structural tests look at, since no provider can
be downloaded here to `terraform validate` or `plan`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2.api import SerializationOptions

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
MODULES = TERRAFORM / "modules"
ENVS = TERRAFORM / "envs"
OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


@cache
def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        return hcl2.load(file, serialization_options=OPTIONS)


def blocks(folder: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Every block of `kind` (variable, output, module, locals…) in a folder's .tf files, by
    label; for `resource` and `data`, by "type.name"."""
    found: dict[str, dict[str, Any]] = {}
    for tf in sorted(folder.glob("*.tf")):
        for block in load(tf).get(kind, []):
            for label, body in block.items():
                if kind in ("resource", "data"):
                    for name, inner in body.items():
                        found[f"{label}.{name}"] = inner
                else:
                    found[label] = body
    return found


def module_dirs() -> list[Path]:
    return sorted(p for p in MODULES.iterdir() if p.is_dir()) if MODULES.is_dir() else []


def env_dirs() -> list[Path]:
    return sorted(p for p in ENVS.iterdir() if p.is_dir()) if ENVS.is_dir() else []
