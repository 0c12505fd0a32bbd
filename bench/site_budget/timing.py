"""Time from navigation start to the readiness score on screen, in Debian's chromium (Playwright).

Each document gets, before any of its own scripts run (`BrowserContext.add_init_script`), a
`MutationObserver` on the whole document. At the first mutation after which
`[data-testid="readiness-score"]` exists with text, it records `performance.now()` — milliseconds
since the document's time origin, which for a navigation is the navigation's start (Navigation
Timing: `startTime` 0, before the request and the previous page's unload). Mutation observers run
as microtasks right after the DOM change, before the browser renders, so this is when the score
entered the DOM (`dom`). It then sets `elementtiming` on the element, so the Element Timing API
reports the paint that first shows its text (`paint`, its `renderTime`), and waits for the next
animation frame (`frame`, taken in the `requestAnimationFrame` callback: the frame that paints
it is being produced). `paint` is what "visible" means; `frame` stands in if no element entry
arrives (it is then at most a frame early).

The navigation timing of the same document gives the HTML's first byte and the
`DOMContentLoaded` event; the resource timing gives each `/api/v1` call's start and end (the
dashboard renews its access token, lists the businesses, then reads the summary, in that order).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, StorageState

from bench._report import percentile

SCORE = '[data-testid="readiness-score"]'
SCORE_TIMEOUT_MS = 30_000

OBSERVE = """
(() => {
  const selector = '[data-testid="readiness-score"]';
  const result = { dom: null, frame: null };
  Object.defineProperty(window, "__vaultraScore", { value: result });
  const seen = () => {
    const el = document.querySelector(selector);
    if (!el || el.textContent.trim() === "") return false;
    result.dom = performance.now();
    el.setAttribute("elementtiming", "vaultra-score");
    requestAnimationFrame(() => { result.frame = performance.now(); });
    return true;
  };
  const observer = new MutationObserver(() => { if (seen()) observer.disconnect(); });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
})();
"""

# What a finished navigation reports: the three times above, the navigation's milestones and the
# API calls (resource timing), all in ms from navigation start.
REPORT = """
async () => {
  const score = window.__vaultraScore;
  const painted = await new Promise((resolve) => {
    const done = (entries) => {
      const e = entries.find((x) => x.identifier === "vaultra-score");
      if (e) resolve(e.renderTime || e.loadTime || null);
    };
    new PerformanceObserver((list) => done(list.getEntries()))
      .observe({ type: "element", buffered: true });
    setTimeout(() => resolve(null), 1000);
  });
  const nav = performance.getEntriesByType("navigation")[0];
  const api = performance.getEntriesByType("resource")
    .filter((r) => new URL(r.name).pathname.startsWith("/api/v1/"))
    .map((r) => ({ path: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd }));
  const scripts = performance.getEntriesByType("resource")
    .filter((r) => r.initiatorType === "script" || r.name.endsWith(".js"))
    .map((r) => ({ path: new URL(r.name).pathname, end: r.responseEnd, bytes: r.transferSize }));
  return {
    dom: score.dom, frame: score.frame, paint: painted,
    ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
    api, scripts,
  };
}
"""


@dataclass(frozen=True)
class Navigation:
    dom_ms: float  # the score's text in the DOM
    frame_ms: float  # the next animation frame
    paint_ms: float | None  # Element Timing's renderTime of the score's text
    ttfb_ms: float  # the HTML's first byte
    dcl_ms: float  # DOMContentLoaded done
    api: list[dict[str, Any]]
    scripts: list[dict[str, Any]]

    @property
    def visible_ms(self) -> float:
        """When the score is on screen: its paint, or else the frame after it entered the DOM."""
        return self.paint_ms if self.paint_ms is not None else self.frame_ms

    @property
    def scripts_done_ms(self) -> float:
        return max((s["end"] for s in self.scripts), default=0.0)

    def api_end(self, path: str) -> float | None:
        """When the first call to a path matching `path` (a regular expression) ended."""
        return next((c["end"] for c in self.api if re.fullmatch(path, c["path"])), None)


@dataclass
class Timings:
    cold: list[Navigation] = field(default_factory=list)  # first navigation of a fresh context
    warm: list[Navigation] = field(default_factory=list)  # the ones after it, same context

    @staticmethod
    def stats(values: list[float]) -> dict[str, float]:
        return {
            "median": statistics.median(values),
            "p95": percentile(values, 95),
            "max": max(values),
            "min": min(values),
        }


def sign_in_through_the_ui(
    browser: Browser, base_url: str, email: str, password: str
) -> StorageState:
    """Log in at /login as a founder does; once /app shows the score (so the dashboard's own
    renewal of the refresh token is done: tokens rotate, and one used twice ends the session),
    the context's cookies."""
    context = browser.new_context(base_url=base_url, locale="en-US")
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/app/?(\?.*)?$"))
        _wait_for_score(page)
        page.wait_for_load_state("networkidle")
        return context.storage_state()
    finally:
        context.close()


def _wait_for_score(page: Page) -> None:
    page.wait_for_function(
        "(sel) => { const e = document.querySelector(sel); return e && e.textContent.trim() }",
        arg=SCORE,
        timeout=SCORE_TIMEOUT_MS,
    )


def _navigate(page: Page, path: str) -> Navigation:
    page.goto(path, wait_until="commit")
    page.wait_for_function(
        "() => window.__vaultraScore && window.__vaultraScore.frame !== null",
        timeout=SCORE_TIMEOUT_MS,
    )
    # Whatever the page loads after the score (plan, lender fit, chart) is done before the next
    # navigation starts, so no request of one page runs into the next one's measurement.
    page.wait_for_load_state("networkidle")
    r = page.evaluate(REPORT)
    return Navigation(r["dom"], r["frame"], r["paint"], r["ttfb"], r["dcl"], r["api"], r["scripts"])


def _context(browser: Browser, base_url: str, state: StorageState) -> BrowserContext:
    context = browser.new_context(base_url=base_url, locale="en-US", storage_state=state)
    context.add_init_script(OBSERVE)
    return context


def measure(
    browser: Browser, base_url: str, state: StorageState, path: str, warm: int, cold: int
) -> Timings:
    """`cold` fresh browser contexts (empty HTTP cache, a new connection), one after the other,
    each handing its rotated refresh cookie on to the next; the first navigates to `path` once
    cold, then `warm` more times (its cache now holds the fingerprinted scripts: no request for
    them); the others once each, cold."""
    timings = Timings()
    for round_ in range(max(1, cold)):
        context = _context(browser, base_url, state)
        try:
            page = context.new_page()
            timings.cold.append(_navigate(page, path))
            if round_ == 0:
                for _ in range(warm):
                    timings.warm.append(_navigate(page, path))
            state = context.storage_state()
        finally:
            context.close()
    return timings
