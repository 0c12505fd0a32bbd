"""Logging set-up shared by every runtime. Structured enough for Cloud Logging, and never given
secrets: Settings hold them as SecretStr, and raw payloads are not logged anywhere."""

from __future__ import annotations

import logging
import os

_configured = False


def configure_logging(level: str | None = None) -> None:
    global _configured
    if _configured:
        return
    logging.basicConfig(
        level=(level or os.environ.get("VAULTRA_LOG_LEVEL", "INFO")).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _configured = True
