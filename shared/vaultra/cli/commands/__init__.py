"""One module per group of commands; importing this package registers them all on `app`."""

from vaultra.cli.commands import business, demo, ingest, metrics, readiness, serve  # noqa: F401
