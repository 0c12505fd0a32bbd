"""The JavaScript a built page loads: its scripts and every module they import, from the files.

A page's *initial* JavaScript is what the browser fetches and runs to show it:

- `<script src>` (classic or `type=module`) and `<link rel=modulepreload href>`;
- inline `<script>` bodies (Astro's island loader), each counted as its own entry;
- each `<astro-island>`'s `component-url`, `renderer-url` and `before-hydration-url` (the island
  loader imports them as soon as the island hydrates; every island is counted, whatever its
  `client:` directive);
- and, transitively, every static `import … from "…"`, `import "…"` and `export … from "…"`
  of those modules (each file once).

Modules reached only through a dynamic `import("…")` with a literal specifier (or listed in Vite's
`__vite__mapDeps` preload table, which is fetched with it) are *lazy*: loaded when that code runs
(on an interaction, or when a condition holds), so they are listed apart and not in the initial
sum. A module imported both ways counts as initial. Dynamic imports of computed specifiers cannot
be followed from the files and are not counted.

Specifiers resolve like URLs: relative to the importing module's URL (`./`, `../`), or from the
site's root (`/…`); a page's own URL is its folder (`app/index.html` is served at `/app/`). Sizes:
the raw bytes and `gzip.compress(data, 9)` of each file on its own (a server that compresses
responses sends about that; Brotli would send less).

The imports are found with regular expressions over the built, minified output, which is what
Vite emits (`import{a as e}from"./x.js"`); they are not a JavaScript parser: a string that looks
exactly like an import statement would be followed too (and reported if it resolves to nothing).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit

_QUOTED = r"""(?P<q>["'])(?P<spec>[^"'\n]+)(?P=q)"""
# `import x from "…"`, `import{a as b}from"…"`, `import * as n from "…"`, `import "…"`
_STATIC_IMPORT = re.compile(
    r"(?<![\w$.])import\s*(?:[\w$*{][^;\"'`()]*?(?<![\w$])from\s*)?" + _QUOTED
)
# `export{a}from"…"`, `export * from "…"`, `export * as n from "…"`
_STATIC_EXPORT = re.compile(
    r"(?<![\w$.])export\s*(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*" + _QUOTED
)
# `import("…")`, `import('…')`, import(`…`) (a template without substitutions)
_DYNAMIC_IMPORT = re.compile(
    r"(?<![\w$.])import\s*\(\s*(?P<q>[\"'`])(?P<spec>[^\"'`\n]+)(?P=q)\s*[,)]"
)
# Vite's preload table: `m.f=["_astro/x.js","_astro/y.css"]`, paths from the site's root.
_VITE_DEPS = re.compile(r"__vite__mapDeps\s*=[^;]{0,200}?\.f\s*=\s*\[(?P<list>[^\]]*)\]")
_LIST_ITEM = re.compile(r"""["']([^"']+)["']""")
_ISLAND_URLS = ("component-url", "renderer-url", "before-hydration-url")
_NOT_JS_TYPES = {"application/json", "application/ld+json", "importmap", "speculationrules"}


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, 9))


@dataclass(frozen=True)
class Script:
    """One JavaScript file (or inline script) a page loads."""

    name: str  # its URL path (`/_astro/x.js`), or `<page URL> inline #N`
    raw: int
    gzip: int
    via: str  # how it is first reached: "script src", "inline", "island component", "import"…


@dataclass
class PageWeight:
    page: str  # the page's URL path, e.g. /app/
    initial: list[Script] = field(default_factory=list)
    lazy: list[Script] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # "<from>: <specifier>" found no file
    external: list[str] = field(default_factory=list)  # another origin: not counted

    @property
    def raw(self) -> int:
        return sum(s.raw for s in self.initial)

    @property
    def gzip(self) -> int:
        return sum(s.gzip for s in self.initial)

    @property
    def lazy_raw(self) -> int:
        return sum(s.raw for s in self.lazy)

    @property
    def lazy_gzip(self) -> int:
        return sum(s.gzip for s in self.lazy)


@dataclass(frozen=True)
class _Entry:
    url: str  # a URL (path, maybe absolute) to resolve, or "" for inline code
    via: str
    code: bytes = b""  # inline code


class _PageScripts(HTMLParser):
    """The scripts of one HTML document, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[_Entry] = []
        self._inline: list[str] | None = None
        self._inline_module = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script":
            kind = attr.get("type", "").strip().lower()
            if kind in _NOT_JS_TYPES:
                return
            if "src" in attr:
                self.entries.append(_Entry(attr["src"], "script src"))
            else:
                self._inline = []
                self._inline_module = kind == "module"
        elif tag == "link":
            rels = attr.get("rel", "").lower().split()
            if "modulepreload" in rels and attr.get("href"):
                self.entries.append(_Entry(attr["href"], "modulepreload"))
        elif tag == "astro-island":
            for name in _ISLAND_URLS:
                if attr.get(name):
                    what = name.removesuffix("-url").replace("-", " ")
                    self.entries.append(_Entry(attr[name], f"island {what}"))

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline is not None:
            code = "".join(self._inline)
            self._inline = None
            if code.strip():
                self.entries.append(_Entry("", "inline", code.encode()))


def imports(code: str) -> tuple[list[str], list[str], list[str]]:
    """The static specifiers, the dynamic (literal) ones and Vite's preload table in `code`."""
    static = [m["spec"] for m in _STATIC_IMPORT.finditer(code)]
    static += [m["spec"] for m in _STATIC_EXPORT.finditer(code)]
    dynamic = [m["spec"] for m in _DYNAMIC_IMPORT.finditer(code) if "${" not in m["spec"]]
    preload = [item for m in _VITE_DEPS.finditer(code) for item in _LIST_ITEM.findall(m["list"])]
    return static, dynamic, preload


def page_url(page: str) -> str:
    """The URL path a built page is served at: `app/index.html` → `/app/`."""
    path = PurePosixPath("/" + page.lstrip("/"))
    if path.name == "index.html":
        return str(path.parent).rstrip("/") + "/"
    return str(path)


class _Site:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def file(self, url: str) -> Path | None:
        """The file a same-origin URL path names, if it is inside the site."""
        path = urlsplit(url).path
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate


def _is_js(url: str) -> bool:
    return not urlsplit(url).path.lower().endswith((".css", ".json", ".wasm", ".svg", ".png"))


def page_weight(site_dir: Path, page: str) -> PageWeight:
    """The initial and lazy JavaScript of `page` (a path inside `site_dir`, e.g. app/index.html)."""
    site = _Site(site_dir)
    base = page_url(page)
    html = (site.root / page).read_text(encoding="utf-8")
    parser = _PageScripts()
    parser.feed(html)
    parser.close()

    weight = PageWeight(base)
    seen: set[str] = set()  # file URLs already counted (initial first, then lazy)
    lazy_roots: list[tuple[str, str, str]] = []  # (url, via, from)
    inline_count = 0

    def walk(roots: Iterable[tuple[str, str, str]], into: list[Script], lazy: bool) -> None:
        queue = list(roots)
        while queue:
            url, via, origin = queue.pop(0)
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                weight.external.append(f"{origin}: {url}")
                continue
            clean = parts.path
            if clean in seen:
                continue
            found = site.file(clean)
            if found is None:
                weight.unresolved.append(f"{origin}: {url}")
                continue
            seen.add(clean)
            data = found.read_bytes()
            into.append(Script(clean, len(data), gzip_size(data), via))
            follow(data.decode("utf-8", "replace"), clean, queue, lazy)

    def follow(code: str, at: str, queue: list[tuple[str, str, str]], lazy: bool) -> None:
        static, dynamic, preload = imports(code)
        for spec in static:
            queue.append((urljoin(at, spec), "import" if not lazy else "lazy import", at))
        for spec in dynamic:
            lazy_roots.append((urljoin(at, spec), "dynamic import()", at))
        for path in preload:
            if _is_js(path):
                lazy_roots.append(("/" + path.lstrip("/"), "preloaded with import()", at))

    initial_roots: list[tuple[str, str, str]] = []
    for entry in parser.entries:
        if entry.url:
            initial_roots.append((urljoin(base, entry.url), entry.via, base))
            continue
        inline_count += 1
        name = f"{base} inline #{inline_count}"
        weight.initial.append(Script(name, len(entry.code), gzip_size(entry.code), "inline"))
        # An inline script's own imports are initial too; it resolves against the page.
        follow(entry.code.decode("utf-8", "replace"), base, initial_roots, lazy=False)
    walk(initial_roots, weight.initial, lazy=False)
    # Lazy modules found while walking lazy ones are lazy too; loop until none is new.
    done = 0
    while done < len(lazy_roots):
        batch = lazy_roots[done:]
        done = len(lazy_roots)
        walk(batch, weight.lazy, lazy=True)
    return weight
