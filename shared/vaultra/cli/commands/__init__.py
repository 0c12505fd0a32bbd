"""One module per group of commands; importing this package registers them all on `app`."""

from vaultra.cli.commands import (  # noqa: F401
    business,
    demo,
    ingest,
    knowledge,
    metrics,
    readiness,
    serve,
)
