"""The dashboard budget's module-graph walker (bench.site_budget.graph) on a tiny built site:
what a page loads at once is counted, each file once; what only a dynamic import() reaches is
counted apart as lazy."""

from __future__ import annotations

import gzip
from pathlib import Path

from bench.site_budget.graph import imports, page_url, page_weight

PAGE = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="/_astro/app.css">
<script type="application/json">{"not": "code"}</script>
</head><body>
<script>(()=>{self.Astro={};})();</script>
<astro-island uid="x" component-url="/_astro/Board.js" component-export="default"
  renderer-url="/_astro/client.js" client="load"><div>…</div></astro-island>
<script type="module" src="./boot.js"></script>
</body></html>
"""

FILES = {
    # the island imports the shared runtime statically, the chart only when it is needed
    "_astro/Board.js": 'import{h as e}from"./runtime.js";import"./styles.js";'
    "const chart=()=>import(`./chart.js`);export default e;",
    # the renderer imports the same runtime: still counted once
    "_astro/client.js": 'import{h}from"./runtime.js";export{h as default};',
    "_astro/runtime.js": "export const h=()=>1;" * 20,
    "_astro/styles.js": 'export*from"../_astro/runtime.js";',
    # lazy: the chart, and what it alone imports; the runtime it imports is already counted
    "_astro/chart.js": 'import{h}from"./runtime.js";import u from"./uplot.js";export default u;',
    "_astro/uplot.js": "export default function u(){return 42}" * 10,
    # loaded by no page
    "_astro/unused.js": "export const never=1;",
    "app/boot.js": 'import("/_astro/missing.js");import"../_astro/Board.js";',
    "_astro/app.css": "body{color:red}",
}


def build(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "index.html").write_text(PAGE)
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def sizes(*blobs: bytes) -> tuple[int, int]:
    return sum(len(b) for b in blobs), sum(len(gzip.compress(b, 9)) for b in blobs)


def test_the_page_counts_its_scripts_and_their_static_imports_once_and_dynamic_ones_as_lazy(
    tmp_path: Path,
) -> None:
    site = build(tmp_path)
    weight = page_weight(site, "app/index.html")

    assert weight.page == "/app/"
    assert [(s.name, s.via) for s in weight.initial] == [
        ("/app/ inline #1", "inline"),
        ("/_astro/Board.js", "island component"),
        ("/_astro/client.js", "island renderer"),
        ("/app/boot.js", "script src"),
        ("/_astro/runtime.js", "import"),
        ("/_astro/styles.js", "import"),
    ]
    inline = b"(()=>{self.Astro={};})();"
    initial = [inline] + [
        FILES[name].encode()
        for name in (
            "_astro/Board.js",
            "_astro/client.js",
            "app/boot.js",
            "_astro/runtime.js",
            "_astro/styles.js",
        )
    ]
    assert (weight.raw, weight.gzip) == sizes(*initial)
    assert [s.raw for s in weight.initial] == [len(b) for b in initial]

    assert [(s.name, s.via) for s in weight.lazy] == [
        ("/_astro/chart.js", "dynamic import()"),
        ("/_astro/uplot.js", "lazy import"),
    ]
    lazy = [FILES["_astro/chart.js"].encode(), FILES["_astro/uplot.js"].encode()]
    assert (weight.lazy_raw, weight.lazy_gzip) == sizes(*lazy)
    # a specifier that names no file is reported, not counted
    assert weight.unresolved == ["/app/boot.js: /_astro/missing.js"]
    assert weight.external == []


def test_a_page_without_scripts_weighs_nothing(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html><body><p>No script here.</p></body></html>")
    weight = page_weight(tmp_path, "index.html")
    assert (weight.page, weight.initial, weight.lazy, weight.raw, weight.gzip) == (
        "/",
        [],
        [],
        0,
        0,
    )


def test_imports_are_read_from_minified_modules_as_vite_writes_them() -> None:
    code = (
        'const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["_astro/s.js","_astro/s.css"])))'
        "=>i.map(i=>d[i]);"
        'import{a as e,i as t}from"./preact.js";import x from \'./x.js\';import*as n from"./n.js";'
        'export{q}from"./q.js";export * as all from "./all.js";import"./side.js";'
        "const m=import.meta.url,d=()=>import(`./lazy.js`),c=()=>import(`./${name}.js`);"
        'const s="important",t=y.import("./not.js");'
    )
    static, dynamic, preload = imports(code)
    assert static == ["./preact.js", "./x.js", "./n.js", "./side.js", "./q.js", "./all.js"]
    assert dynamic == ["./lazy.js"]
    assert preload == ["_astro/s.js", "_astro/s.css"]
    assert [page_url(p) for p in ("index.html", "app/index.html", "404.html")] == [
        "/",
        "/app/",
        "/404.html",
    ]
