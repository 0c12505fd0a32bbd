"""Dead letters: a message Pub/Sub stopped retrying is kept, by ids only, for operators.

Nothing is replayed from here. A lost "stripe data changed", refresh request or "metrics computed"
needs nothing more: the reconciliation tick finds the business behind and asks again. A lost
backfill request stays visible here (and in monitoring) until someone starts it again; its
checkpoints make the new run resume.
"""

from __future__ import annotations

import dataclasses
import logging

from vaultra.db.unit_of_work import Database
from vaultra.events.cloudevent import DeadLetter

log = logging.getLogger(__name__)


def record_dead_letter(db: Database, letter: DeadLetter) -> bool:
    """Keep the dead letter; False when it was kept before (Pub/Sub may dead-letter twice)."""
    with db.transaction() as uow:
        new = uow.dead_letters.record(**dataclasses.asdict(letter))
    if new:
        log.error(
            "dead letter: %s %s from %s after %s attempt(s) (business %s)",
            letter.message_type or "undecodable message",
            letter.message_id,
            letter.source_subscription,
            letter.delivery_attempts,
            letter.business_id,
        )
    return new
