"""Every module keeps terraform/README.md's conventions: its five files, every variable typed and
described, every output described, secrets marked sensitive, providers pinned by range, and no
provider configured inside a module (the environment does that)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.terraform.hcl import blocks, load, module_dirs

FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
SECRET_LIKE = re.compile(
    r"(^|_)(password|secret_value|private_key|certificate|token|api_key)($|_)", re.I
)
RANGE = re.compile(r">=\s*\d+\.\d+(\.\d+)?\s*,\s*<\s*\d+")
MODULES = module_dirs()


def test_the_modules_the_design_names_exist() -> None:
    names = {m.name for m in MODULES}
    assert {
        "network", "database", "secrets", "service_accounts", "registry", "pubsub", "functions",
        "scheduler", "agent_service", "ollama", "storage", "load_balancer", "monitoring",
    } <= names  # fmt: skip


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_a_module_has_its_five_files(module: Path) -> None:
    assert [f for f in FILES if not (module / f).is_file()] == []


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_every_variable_is_typed_and_described(module: Path) -> None:
    for name, variable in blocks(module, "variable").items():
        assert "type" in variable, f"{module.name}: variable {name} has no type"
        assert str(variable.get("description", "")).strip(), f"{module.name}: {name} undescribed"
        for rule in variable.get("validation", []):
            assert str(rule.get("error_message", "")).strip(), f"{module.name}: {name}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_every_output_is_described_and_secrets_are_sensitive(module: Path) -> None:
    for name, output in blocks(module, "output").items():
        assert str(output.get("description", "")).strip(), f"{module.name}: output {name}"
        if SECRET_LIKE.search(name):
            assert output.get("sensitive") is True, f"{module.name}: output {name} not sensitive"
    for name, variable in blocks(module, "variable").items():
        if SECRET_LIKE.search(name):
            assert variable.get("sensitive") is True, f"{module.name}: variable {name}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_terraform_and_providers_are_pinned_by_range(module: Path) -> None:
    [terraform] = load(module / "versions.tf")["terraform"]
    assert RANGE.search(terraform["required_version"]), terraform["required_version"]
    providers = {  # python-hcl2 keeps comments as `__comments__` entries
        name: spec
        for block in terraform["required_providers"]
        for name, spec in block.items()
        if not name.startswith("__")
    }
    assert "google" in providers or "google-beta" in providers
    for name, spec in providers.items():
        assert RANGE.search(spec["version"]), f"{module.name}: {name} {spec['version']}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_a_module_configures_no_provider(module: Path) -> None:
    assert [tf.name for tf in module.glob("*.tf") if load(tf).get("provider")] == []
