"""The `vaultra` command: the composition root of the command-line runtime.

`app` holds the shared console and failure helpers, `options` the options every command shares,
`commands/` one module per group of commands, `render/` how results look to a person.
"""

from __future__ import annotations

from vaultra.cli import commands  # noqa: F401  (registers the commands on `app`)
from vaultra.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
