"""How `vaultra metrics` shows a metric set to a person: grouped, formatted, with its notes."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vaultra.domain.metrics.catalog import CATALOG
from vaultra.domain.metrics.display import format_value
from vaultra.domain.metrics.formulas import MetricSet


def print_metrics(console: Console, account: str, metrics: MetricSet) -> None:
    periods = metrics.as_of_periods
    currency = metrics.currency
    table = Table(
        title=f"{account} · as of {periods.as_of.isoformat()} (end of day, UTC) · "
        f"{(currency or 'currency unknown').upper()}",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("note", overflow="fold", max_width=60)
    group = None
    for definition in CATALOG:
        if definition.key == "gross_volume_by_month_12m":
            continue  # twelve numbers: in --json, not in the table
        if definition.group != group:
            group = definition.group
            table.add_row(f"[bold]{group}[/]", "", "")
        value = metrics.values.get(definition.key)
        table.add_row(
            f"  {definition.key}",
            format_value(definition, value, currency),
            metrics.notes.get(definition.key, ""),
        )
    console.print(table)
    if "currency" in metrics.notes:
        console.print(f"[yellow]note:[/] {metrics.notes['currency']}")
