"""`vaultra demo`: the development package's demo (loaded only when asked for)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vaultra.cli.app import app, console
from vaultra.config import get_settings
from vaultra.services.local_login import LocalLoginRefused


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated histories.")] = 7,
    scale: Annotated[
        float, typer.Option(min=0.01, max=20, help="Size of the histories (1 = realistic).")
    ] = 1.0,
    screenshot: Annotated[
        Path | None, typer.Option(help="Also save the demo's output as an SVG picture.")
    ] = None,
) -> None:
    """Load the demo businesses (webhook and backfill paths) and show what Vaultra sees."""
    from vaultra_dev.demo import run_demo

    out = Console(record=True, width=140) if screenshot else console
    try:
        login = run_demo(get_settings(), seed=seed, console=out, scale=scale)
    except LocalLoginRefused as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if screenshot:
        # A picture is shared; the password is this machine's: shown as dots there.
        picture = out.export_svg(title="make demo").replace(login.password, "•" * 12)
        screenshot.write_text(picture, encoding="utf-8")
