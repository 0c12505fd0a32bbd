"""cloudbuild.yaml, the deployment: valid against Cloud Build's schema; its steps in the order a
deployment takes (test → stage → image → plan → apply → site → migrate); every substitution
declared with a default; no secret in it; every image pinned; the steps agreeing on the files
they hand each other; each shell script parsing once Cloud Build has substituted it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "cloudbuild.yaml"
TEXT = CONFIG.read_text("utf-8")
BUILD: dict[str, Any] = yaml.safe_load(TEXT)
STEPS: list[dict[str, Any]] = BUILD["steps"]
BY_ID = {step["id"]: step for step in STEPS}

ORDER = [
    "test",
    "stage",
    "upload-functions",
    "agent-image",
    "push-agent-image",
    "terraform-plan",
    "terraform-apply",
    "site",
    "site-upload",
    "cloud-sql-proxy",
    "migrate",
]
# Cloud Build's own substitutions (https://cloud.google.com/build/docs/configuring-builds/
# substitute-variable-values).
BUILT_IN = {
    "PROJECT_ID", "BUILD_ID", "PROJECT_NUMBER", "LOCATION", "TRIGGER_NAME", "COMMIT_SHA",
    "REVISION_ID", "SHORT_SHA", "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME",
    "REF_NAME", "TRIGGER_BUILD_CONFIG_PATH", "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT",
}  # fmt: skip
# `$$` is Cloud Build's escape for a literal `$`; anything else after a `$` is a substitution.
SUBSTITUTION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
SECRET_LOOKING = [
    re.compile(r"(?<![A-Za-z0-9])(sk|rk)_(live|test)_[A-Za-z0-9]+"),
    re.compile(r"(?<![A-Za-z0-9])(sk|rk)_[A-Za-z0-9]{16,}"),
    re.compile(r"whsec_[A-Za-z0-9+/=]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r'"private_key(_id)?"\s*:'),
    re.compile(r"AIza[0-9A-Za-z_-]{30,}"),  # a Google API key
    re.compile(r"(?i)postgres(ql)?(\+\w+)?://[^/@\s:]+:[^@\s]+@"),  # a URL with a password
]


def strings(value: Any) -> Iterator[str]:
    """Every string of the parsed build (comments are not part of it)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def used_substitutions() -> set[str]:
    return {
        m.group(1) or m.group(2)
        for text in strings(BUILD)
        for m in SUBSTITUTION.finditer(text)
        if m.group(0) != "$$"
    }


def substituted(text: str, values: dict[str, str]) -> str:
    """`text` as Cloud Build runs it: `$$` → `$`, each substitution → its value."""
    return SUBSTITUTION.sub(
        lambda m: "$" if m.group(0) == "$$" else values[m.group(1) or m.group(2)], text
    )


def test_the_file_is_a_valid_cloud_build_config() -> None:
    check = Path(sys.executable).parent / "check-jsonschema"
    assert check.is_file(), "check-jsonschema is a dev dependency: run `make install`"
    done = subprocess.run(
        [str(check), "--builtin-schema", "vendor.cloudbuild", str(CONFIG)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_steps_run_in_a_deployments_order_one_after_the_other() -> None:
    assert [step["id"] for step in STEPS] == ORDER
    main = ["test", "stage", "agent-image", "terraform-plan", "terraform-apply", "site", "migrate"]
    assert [i for i in ORDER if i in main] == main
    # no step starts early: each waits for all before it (Cloud Build's default without waitFor)
    assert not [step["id"] for step in STEPS if "waitFor" in step]


def test_every_substitution_used_is_declared_with_a_default_and_every_declared_one_used() -> None:
    declared = BUILD["substitutions"]
    used = used_substitutions()

    assert {name for name in used if name.startswith("_")} == set(declared)
    # anything else after a `$` is Cloud Build's own, not a shell variable left unescaped
    assert {name for name in used if not name.startswith("_")} <= BUILT_IN
    # and the shell's own `$(…)`, `$!`, … are escaped (`$$`), whatever Cloud Build makes of them
    assert not [t for t in strings(BUILD) if "$" in SUBSTITUTION.sub("", t)]
    assert all(isinstance(v, str) and v for v in declared.values())
    assert {"_ENV", "_REGION", "_REPOSITORY", "_FUNCTIONS_BUCKET", "_SITE_BUCKET"} <= set(declared)
    assert "_TF_STATE_BUCKET" in declared
    # the defaults name the project: Cloud Build expands that only with dynamic substitutions
    assert BUILD["options"]["dynamicSubstitutions"] is True


def test_no_secret_is_written_in_the_file() -> None:
    for pattern in SECRET_LOOKING:
        assert not pattern.search(TEXT), pattern.pattern
    assert "secrets" not in BUILD  # KMS-encrypted values in the file: use Secret Manager
    for step in STEPS:
        assert "secretEnv" not in step or "availableSecrets" in BUILD
        for entry in step.get("env", []):
            key, _, value = entry.partition("=")
            if re.search(r"(?i)secret|password|passwd|token|api_?key|private", key):
                assert re.fullmatch(r"\$\{?_[A-Z0-9_]+\}?", value), entry
    for secret in BUILD.get("availableSecrets", {}).get("secretManager", []):
        assert re.fullmatch(r"projects/[^/]+/secrets/[^/]+/versions/\w+", secret["versionName"])


def test_every_image_is_pinned_by_tag_or_digest_never_latest() -> None:
    pinned = re.compile(r"[a-z0-9./_-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?(@sha256:[0-9a-f]{64})?")
    values = {name: "x" for name in [*BUILT_IN, *BUILD["substitutions"]]}
    images = [step["name"] for step in STEPS] + BUILD.get("images", [])
    for image in images:
        match = pinned.fullmatch(substituted(image, values))
        assert match and (match.group(1) or match.group(2)), image
        assert not image.endswith(":latest"), image
    assert ":latest" not in TEXT
    terraform = {step["name"] for step in STEPS if step["id"].startswith("terraform-")}
    assert len(terraform) == 1 and terraform.pop().startswith("hashicorp/terraform:1.11.")
    assert re.search(r"cloud-sql-proxy:\d+\.\d+\.\d+", TEXT)


def test_the_steps_agree_on_what_they_hand_each_other() -> None:
    stage = BY_ID["stage"]["args"]
    out = stage[stage.index("--out") + 1]
    tfvars = stage[stage.index("--tfvars") + 1]
    plan = BY_ID["terraform-plan"]["args"][-1]
    apply = BY_ID["terraform-apply"]["args"][-1]

    assert f"{out}/objects/*.zip" in BY_ID["upload-functions"]["args"][-1]
    assert f"-var-file={tfvars}" in plan
    [saved] = re.findall(r"-out=(\S+)", plan)
    # apply takes the saved plan and nothing else: no variable, no -auto-approve
    assert re.search(
        rf"terraform apply -input=false -lock-timeout=\S+ {re.escape(saved)}(\s|$)", apply
    )
    assert "-var" not in apply and "-auto-approve" not in apply
    assert (
        "database_connection_name" in apply
        and "database_connection_name" in BY_ID["migrate"]["args"][-1]
    )
    assert "-var=agent_image=" in plan
    image = BY_ID["push-agent-image"]["args"][-1]
    assert f"-var=agent_image={image}" in plan and image in BUILD["images"]
    assert "agent_service/Dockerfile" in " ".join(BY_ID["agent-image"]["args"])
    assert "vaultra.cli migrate" in BY_ID["migrate"]["args"][-1]


def test_the_site_is_uploaded_with_a_cache_policy_per_path() -> None:
    script = BY_ID["site-upload"]["args"][-1]
    [assets, pages] = script.split("gcloud storage rsync")[1:]

    assert "frontend/dist/_astro" in assets and "immutable" in assets
    assert "--delete-unmatched-destination-objects" not in assets  # cached pages still use them
    assert '--cache-control="no-cache"' in pages and "^_astro/" in pages


@pytest.mark.parametrize(
    "step", [s for s in STEPS if s.get("entrypoint") in ("bash", "sh")], ids=lambda s: s["id"]
)
def test_each_shell_script_parses_once_substituted(step: dict[str, Any]) -> None:
    shell = shutil.which(step["entrypoint"])
    if shell is None:
        pytest.skip(f"no {step['entrypoint']} here")
    values = {name: f"x-{name.lower()}" for name in [*BUILT_IN, *BUILD["substitutions"]]}
    [flag, script] = step["args"]
    assert flag == "-c"
    done = subprocess.run(
        [shell, "-n", "-c", substituted(script, values)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
