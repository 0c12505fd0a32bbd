"""The built dashboard (`frontend/dist`, Astro's static output) served at `/`, on the API's origin.

Same origin means the refresh cookie (HttpOnly, SameSite=Strict, path /api/v1/auth) reaches the
API with no CORS at all. Each page gets a Content-Security-Policy that allows its own inline
scripts by their SHA-256 — computed here from the built HTML at start-up, so Astro's hydration
snippets run and nothing injected can — and scripts, styles, images and requests from this
origin only. Fingerprinted assets (`/_astro/…`) are cached for a year; pages are revalidated at
every load, so a deploy is seen at once.

In production the same files sit in a Cloud Storage bucket behind the load balancer and Cloud CDN
(step 7); this is the local stack's and the tests' way to serve them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE
)
_IMMUTABLE = b"public, max-age=31536000, immutable"
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_REVALIDATE = b"no-cache"


def page_policy(html: bytes) -> bytes:
    """The CSP of one page: its inline scripts by hash, everything else from this origin."""
    hashes = sorted(
        {
            "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
            for body in _INLINE_SCRIPT.findall(html)
        }
    )
    scripts = " ".join(["'self'", *hashes])
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        # uPlot and Astro's islands set style attributes; no script can come in through them
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        "font-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    ).encode()


class Site:
    """The folder's files; `policies` maps each page's URL path to its CSP."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files = StaticFiles(directory=folder, html=True)
        self.policies: dict[str, bytes] = {}
        for page in folder.rglob("*.html"):
            relative = page.relative_to(folder).as_posix()
            policy = page_policy(page.read_bytes())
            self.policies["/" + relative] = policy
            if relative.endswith("index.html"):
                directory = "/" + relative.removesuffix("index.html")
                self.policies[directory] = policy
                self.policies[directory.rstrip("/") or "/"] = policy
        self.not_found = self.policies.get("/404.html", page_policy(b""))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *_ALWAYS]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if path.startswith("/_astro/"):
                    headers.append((b"cache-control", _IMMUTABLE))
                else:
                    headers.append((b"cache-control", _REVALIDATE))
                if content_type.startswith(b"text/html"):
                    policy = self.policies.get(path, self.not_found)
                    headers.append((b"content-security-policy", policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.files(scope, receive, with_headers)


# What the site never answers: the API (its own problems for unknown routes), MCP, the webhook,
# the probes and the metadata under /.well-known.
_NOT_THE_SITE = ("/api/", "/mcp", "/stripe/", "/.well-known/", "/healthz", "/readyz")


class WithSite:
    """`app`, with GET and HEAD requests for any other path answered by the site."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app = app
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope["path"].startswith(_NOT_THE_SITE)
        ):
            await self.site(scope, receive, send)
            return
        await self.app(scope, receive, send)


def built_site(folder: Path) -> Site | None:
    """The site, if it was built (`make site`); None otherwise (the API still serves)."""
    return Site(folder) if (folder / "index.html").is_file() else None
