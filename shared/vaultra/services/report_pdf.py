"""The lender report as a PDF, drawn with reportlab (platypus for the flow of text and tables,
reportlab.graphics for the charts): the business, the period covered, the score with its
components and their explanations, the trends, the lender fit, the monthly metrics with their
definitions, the data's date and the versions that made it — and, on every page, that estimates
are not offers.

Text is set in Bitstream Vera, which ships inside reportlab (so the same fonts exist on every
runtime) and covers the catalogue's ×, ÷, −, ≥ and dashes; the few characters it lacks are
spelled out.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from vaultra.domain.metrics.catalog import BY_KEY, CATALOG
from vaultra.domain.metrics.display import format_value
from vaultra.domain.money import format_money, minor_units_per_unit
from vaultra.services.report_content import NOT_AN_OFFER, ReportContent

FONT, BOLD = "Vera", "VeraBd"
INK = colors.HexColor("#1f2933")
ACCENT = colors.HexColor("#2f6fde")
MUTED = colors.HexColor("#7b8794")
GRID = colors.HexColor("#d9dee4")
WIDTH = A4[0] - 36 * mm
# What Vera lacks, in words.
_SPELLED = {"σ": "std. dev.", "→": "->", "✓": "yes"}
# The monthly table's columns: the figures a lender reads first.
MONTHLY = (
    "mrr",
    "paying_customers",
    "gross_volume_month",
    "net_volume_month",
    "customer_churn_rate",
    "refund_rate_90d",
    "dispute_activity_ratio_month",
)
STATUS = {"eligible": "Eligible", "not_yet": "Not yet", "not_a_fit": "Not a fit"}


@cache
def _fonts() -> frozenset[int]:
    """Register Vera once; the code points it can draw."""
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    regular = TTFont(FONT, os.path.join(folder, "Vera.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(BOLD, os.path.join(folder, "VeraBd.ttf")))
    return frozenset(regular.face.charToGlyph)


def printable(text: str) -> str:
    drawable = _fonts()
    return "".join(
        ch if ord(ch) in drawable or ch in "\n\t" else _SPELLED.get(ch, "?") for ch in text
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9, leading=12)
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=BOLD, fontSize=18, leading=22, textColor=INK
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            textColor=INK,
            keepWithNext=1,
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "muted": ParagraphStyle("muted", parent=body, fontSize=8, textColor=MUTED),
        "score": ParagraphStyle(
            "score", parent=body, fontName=BOLD, fontSize=28, leading=32, textColor=ACCENT
        ),
    }


def _table(rows: list[list[Any]], widths: Sequence[float], *, header: bool = True) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style += [("FONTNAME", (0, 0), (-1, 0), BOLD), ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK)]
    table.setStyle(TableStyle(style))
    return table


# --- charts -------------------------------------------------------------------------------------


def _month(day: date) -> str:
    return day.strftime("%b %y")


def _chart_title(drawing: Drawing, text: str) -> None:
    drawing.add(String(0, drawing.height - 10, printable(text), fontName=BOLD, fontSize=9))


def components_chart(content: ReportContent) -> Drawing:
    """Each component's points against its maximum."""
    components = content.score.components
    height = 24 + 16 * len(components)
    drawing = Drawing(WIDTH, height)
    _chart_title(drawing, "Score components: points earned of the maximum")
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 6
    chart.width, chart.height = WIDTH - 170, height - 24
    chart.data = [
        [c["max_points"] for c in reversed(components)],
        [c["points"] for c in reversed(components)],
    ]
    chart.groupSpacing, chart.barSpacing = 3, 0
    chart.bars[0].fillColor, chart.bars[0].strokeColor = GRID, None
    chart.bars[1].fillColor, chart.bars[1].strokeColor = ACCENT, None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.categoryNames = [printable(c["title"])[:34] for c in reversed(components)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    drawing.add(chart)
    return drawing


def _series(content: ReportContent, metric: str) -> list[tuple[date, float]]:
    per_unit = minor_units_per_unit(content.currency) if content.currency else 1
    points = []
    for run in content.runs:
        value = run.values.get(metric)
        if value is None or isinstance(value, dict | str):
            continue
        major = BY_KEY[metric].kind == "money"
        points.append((run.as_of, float(Decimal(str(value)) / (per_unit if major else 1))))
    return points


def trend_chart(
    title: str, points: list[tuple[date, float]], *, bars: bool = False
) -> Drawing | None:
    """A metric month by month (a line, or bars); None with fewer than two months."""
    if len(points) < 2:
        return None
    drawing = Drawing(WIDTH / 2 - 6, 150)
    _chart_title(drawing, title)
    chart: Any = VerticalBarChart() if bars else HorizontalLineChart()
    chart.x, chart.y = 42, 24
    chart.width, chart.height = drawing.width - 52, drawing.height - 44
    chart.data = [[value for _, value in points]]
    chart.categoryAxis.categoryNames = [_month(day) for day, _ in points]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 45
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = min(0.0, *(value for _, value in points))
    chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    if bars:
        chart.bars[0].fillColor, chart.bars[0].strokeColor = ACCENT, None
    else:
        chart.lines[0].strokeColor, chart.lines[0].strokeWidth = ACCENT, 1.5
    drawing.add(chart)
    return drawing


def _side_by_side(drawings: list[Drawing | None]) -> list[Any]:
    shown = [d for d in drawings if d is not None]
    rows = [shown[i : i + 2] + [""] * (2 - len(shown[i : i + 2])) for i in range(0, len(shown), 2)]
    return [_table([row], [WIDTH / 2] * 2, header=False) for row in rows]


# --- the document -------------------------------------------------------------------------------


def render_pdf(content: ReportContent) -> bytes:
    styles = _styles()
    currency = content.currency
    story: list[Any] = [
        _p(f"Lender report — {content.business_name}", styles["title"]),
        _p(
            f"As of {content.as_of.isoformat()} (end of day, UTC) · period covered "
            f"{content.period_start.isoformat()} to {content.as_of.isoformat()} · data through "
            f"{content.data_through or 'unknown'} · Stripe last heard from "
            f"{content.last_synced_at or 'unknown'} · amounts in "
            f"{currency.upper() if currency else 'an unknown currency'}",
            styles["muted"],
        ),
        Spacer(1, 6),
        _p(f"Readiness score {content.score.score} / 100", styles["score"]),
        _p(f"Confidence: {content.score.confidence}", styles["body"]),
        _p(NOT_AN_OFFER, styles["muted"]),
        Spacer(1, 8),
        components_chart(content),
        _p("How the score was made", styles["h2"]),
        _table(
            [
                ["Component", "Points", "Explanation"],
                *(
                    [
                        _p(c["title"], styles["body"]),
                        f"{c['points']} / {c['max_points']}",
                        _p(c["explanation"], styles["small"]),
                    ]
                    for c in content.score.components
                ),
            ],
            [45 * mm, 18 * mm, WIDTH - 63 * mm],
        ),
    ]
    if content.score.missing:
        story += [
            _p("Scored without data", styles["h2"]),
            *(_p(f"• {m}", styles["small"]) for m in content.score.missing),
        ]
    scores = sorted({**content.month_scores, content.as_of: content.score.score}.items())
    story += [
        _p("Trends", styles["h2"]),
        *_side_by_side(
            [
                trend_chart(f"MRR ({(currency or '').upper()})", _series(content, "mrr")),
                trend_chart(
                    f"Gross volume per month ({(currency or '').upper()})",
                    _series(content, "gross_volume_month"),
                    bars=True,
                ),
                trend_chart("Paying customers", _series(content, "paying_customers")),
                trend_chart("Readiness score", [(d, float(s)) for d, s in scores]),
            ]
        ),
        _p("Lender fit", styles["h2"]),
        _lender_table(content, styles),
        PageBreak(),
        _p("Month by month", styles["h2"]),
        _monthly_table(content, styles),
        _p("Every metric as of the report's day, with its definition", styles["h2"]),
        _definitions_table(content, styles),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=20 * mm,
        title=printable(f"Vaultra lender report — {content.business_name}"),
        author="Vaultra",
        subject=f"Funding readiness as of {content.as_of.isoformat()}",
    )
    footer = printable(
        f"Vaultra · score model {content.versions.model} · metrics policy "
        f"{content.versions.metrics_policy} · lender criteria {content.versions.lender_criteria}"
        f" · generated {content.generated_at.strftime('%Y-%m-%d %H:%M UTC')}"
    )

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(18 * mm, 12 * mm, footer)
        canvas.drawString(18 * mm, 8 * mm, printable(NOT_AN_OFFER))
        canvas.drawRightString(A4[0] - 18 * mm, 12 * mm, f"page {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _lender_table(content: ReportContent, styles: dict[str, ParagraphStyle]) -> Any:
    rows: list[list[Any]] = [
        ["Lender and product", "Fit", "What stands in the way, or the estimate"]
    ]
    for fit in content.score.lender_fit:
        offer = fit.get("offer")
        if offer:
            detail = (
                f"Estimate {format_money(offer['low'], offer['currency'])} to "
                f"{format_money(offer['high'], offer['currency'])}: {offer['basis']}. "
                f"{offer['disclaimer']}"
            )
        else:
            detail = "; ".join(gap["gap"] for gap in fit.get("unmet", [])) or fit.get(
                "offer_note", ""
            )
        rows.append(
            [
                _p(f"{fit['lender']} — {fit['product']}", styles["body"]),
                STATUS.get(fit["status"], fit["status"]),
                _p(detail, styles["small"]),
            ]
        )
    if len(rows) == 1:
        return _p("No lender was assessed.", styles["body"])
    return KeepTogether(_table(rows, [55 * mm, 18 * mm, WIDTH - 73 * mm]))


def _monthly_table(content: ReportContent, styles: dict[str, ParagraphStyle]) -> Table:
    header = ["Month end", *(_p(key.replace("_", " "), styles["small"]) for key in MONTHLY)]
    rows: list[list[Any]] = [header]
    for run in content.runs:
        rows.append(
            [
                run.as_of.isoformat(),
                *(
                    _p(
                        format_value(BY_KEY[key], run.values.get(key), content.currency),
                        styles["small"],
                    )
                    for key in MONTHLY
                ),
            ]
        )
    first = 22 * mm
    return _table(rows, [first] + [(WIDTH - first) / len(MONTHLY)] * len(MONTHLY))


def _definitions_table(content: ReportContent, styles: dict[str, ParagraphStyle]) -> Table:
    latest = content.latest
    values = latest.values if latest else {}
    notes = latest.notes if latest else {}
    rows: list[list[Any]] = [["Metric", "Value", "Definition"]]
    for definition in CATALOG:
        value = format_value(definition, values.get(definition.key), content.currency)
        meaning = definition.meaning
        if definition.key in notes and values.get(definition.key) is None:
            meaning += f" (no value: {notes[definition.key]})"
        rows.append(
            [
                _p(definition.key, styles["small"]),
                _p(value, styles["small"]),
                _p(meaning, styles["small"]),
            ]
        )
    return _table(rows, [52 * mm, 38 * mm, WIDTH - 90 * mm])
