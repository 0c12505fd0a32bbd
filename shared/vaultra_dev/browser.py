"""The system's chromium as the browser tests, the dashboard's budget and its screenshots launch
it: Debian's package (`make browser` installs it where it can), never a browser Playwright
downloads, with the same flags everywhere so every measurement is of the same browser."""

from __future__ import annotations

import shutil

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = "no chromium on this machine (`make browser` installs it where it can)"


def system_chromium() -> str | None:
    """The path of the machine's chromium, or None."""
    return shutil.which("chromium")
