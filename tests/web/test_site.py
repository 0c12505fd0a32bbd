"""The built dashboard served on the API's origin: every page with a Content-Security-Policy that
allows exactly its own inline scripts, fingerprinted assets cached for a year, pages revalidated,
and the API, MCP, the webhook and the probes never shadowed by the site."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from vaultra.bootstrap import Runtime
from vaultra.config import Settings
from vaultra.db.unit_of_work import Database
from vaultra.events.local_bus import LocalBus
from vaultra.web.app import create_app

HYDRATE = b"(()=>{var e=async t=>{await(await t())()};})();"


def sha256(script: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "app").mkdir(parents=True)
    (dist / "_astro").mkdir()
    (dist / "index.html").write_text("<!doctype html><title>Vaultra</title><h1>Vaultra</h1>")
    (dist / "app" / "index.html").write_bytes(
        b"<!doctype html><title>Dashboard</title><script>" + HYDRATE + b"</script>"
        b'<script type="module" src="/_astro/app.Bx1.js"></script>'
    )
    (dist / "_astro" / "app.Bx1.js").write_text("export const x = 1;")
    (dist / "404.html").write_text("<!doctype html><title>Not found</title>")
    return dist


@pytest.fixture
def client(engine: Engine, database_url: str, tmp_path: Path, site: Path) -> TestClient:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=database_url,
        VAULTRA_HOME=str(tmp_path),
        VAULTRA_SITE_DIR=str(site),
        VAULTRA_EMBEDDINGS="none",
    )
    runtime = Runtime(settings, database=Database(engine), publisher=LocalBus())
    return TestClient(create_app(runtime), base_url="http://127.0.0.1:8000")


@pytest.mark.integration
def test_a_page_allows_exactly_its_own_inline_scripts(client: TestClient) -> None:
    page = client.get("/app/")

    assert page.status_code == 200 and b"Dashboard" in page.content
    policy = page.headers["content-security-policy"]
    assert f"script-src 'self' {sha256(HYDRATE)};" in policy
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["x-content-type-options"] == "nosniff"
    # the landing page has no inline script: none is allowed there
    assert "script-src 'self';" in client.get("/").headers["content-security-policy"]


@pytest.mark.integration
def test_fingerprinted_assets_are_cached_for_a_year(client: TestClient) -> None:
    asset = client.get("/_astro/app.Bx1.js")
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.integration
def test_an_unknown_page_is_the_sites_404(client: TestClient) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and b"Not found" in missing.content
    assert "script-src 'self'" in missing.headers["content-security-policy"]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/no-such-route", 404),  # the API's own problem, not the site's page
        ("GET", "/healthz", 200),
        ("POST", "/mcp", 401),
        ("GET", "/.well-known/oauth-protected-resource/mcp", 200),
    ],
)
def test_the_site_never_shadows_the_api_mcp_or_the_probes(
    client: TestClient, method: str, path: str, status: int
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == status
    assert not answer.headers["content-type"].startswith("text/html")
