"""The Pub/Sub-triggered Cloud Functions, run locally: each `functions/<name>/main.py` handler is
subscribed to the local bus for the topics its trigger names in production, so `vaultra serve`
runs webhook → metrics → score with the same code, in the same CloudEvent shape, as the cloud."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vaultra.events import topics
from vaultra.events.local_bus import LocalBus, Subscription

log = logging.getLogger(__name__)

# functions/ sits at the repository root, beside shared/ (as migrations/ does).
FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"

# function → the topics that trigger it (terraform subscribes the same pairs in the cloud).
TRIGGERS: dict[str, tuple[str, ...]] = {
    "backfill_account": (topics.BACKFILL_REQUESTED,),
    "compute_metrics": (topics.STRIPE_DATA_CHANGED, topics.METRICS_REFRESH_REQUESTED),
    "schedule_refresh": (topics.DAILY_REFRESH,),
    "score_business": (topics.METRICS_COMPUTED,),
}


def load_function(name: str, functions_dir: Path = FUNCTIONS_DIR) -> Callable[[Any], Any]:
    """The handler `name` of `functions/<name>/main.py`, imported under its own module name."""
    source = functions_dir / name / "main.py"
    spec = importlib.util.spec_from_file_location(f"vaultra_local_function_{name}", source)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no Cloud Function source at {source}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Callable[[Any], Any] = getattr(module, name)
    return handler


def subscribe_functions(
    bus: LocalBus,
    topic_names: Mapping[str, str] | None = None,
    functions_dir: Path = FUNCTIONS_DIR,
) -> list[Subscription]:
    """Subscribe every Pub/Sub-triggered function to its topics (configured names, if renamed)."""
    if not functions_dir.is_dir():
        log.warning("no functions/ beside the package: Pub/Sub-triggered work will not run locally")
        return []
    names = topic_names or {}
    subscriptions = []
    for name, triggers in TRIGGERS.items():
        handler = load_function(name, functions_dir)
        for topic in triggers:
            configured = names.get(topic, topic)
            subscriptions.append(
                bus.subscribe(configured, handler, subscription=f"{configured}-{name}")
            )
    return subscriptions
