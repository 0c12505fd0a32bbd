"""The services over a test database, built as the composition root builds them."""

from __future__ import annotations

from sqlalchemy import Engine
from vaultra.db.unit_of_work import Database
from vaultra.events.publisher import Publisher
from vaultra.services.metrics import Metrics
from vaultra.services.readiness import Readiness


def metrics(engine: Engine, publisher: Publisher | None = None) -> Metrics:
    return Metrics(Database(engine), publisher)


def readiness(engine: Engine) -> Readiness:
    return Readiness(Database(engine))


def committed_version(engine: Engine) -> str:
    """The id of a fresh transaction: later than every commit so far."""
    with Database(engine).transaction() as uow:
        return uow.transaction_id()
