"""The environments deploy exactly what terraform/names.json lists: the stack hands the file's
parts to the modules (so a function, topic, subscription, job or secret the code adds is deployed
without a Terraform edit), sets every variable each runtime reads, and each environment keeps its
state in a GCS backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.hcl import MODULES, TERRAFORM, blocks, env_dirs, load

NAMES = json.loads((TERRAFORM / "names.json").read_text("utf-8"))
STACK = MODULES / "stack"


def _stack_modules() -> dict[str, dict[str, Any]]:
    return blocks(STACK, "module")


def _locals(folder: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in blocks_of(folder, "locals"):
        merged.update(block)
    return merged


def blocks_of(folder: Path, kind: str) -> list[dict[str, Any]]:
    return [b for tf in sorted(folder.glob("*.tf")) for b in load(tf).get(kind, [])]


def test_the_stack_reads_the_names_from_the_file_the_code_writes() -> None:
    names = _locals(STACK)["names"]
    assert "jsondecode(file(" in names and "names.json" in names


@pytest.mark.parametrize(
    ("module", "argument", "part"),
    [
        ("functions", "functions", "functions"),
        ("pubsub", "topics", "topics"),
        ("pubsub", "dead_letter_topics", "dead_letter_topics"),
        ("pubsub", "subscriptions", "subscriptions"),
        ("scheduler", "jobs", "scheduler"),
        ("secrets", "secrets", "secrets"),
    ],
)
def test_each_module_is_handed_its_part_of_the_names(module: str, argument: str, part: str) -> None:
    called = _stack_modules()[module]
    assert called[argument] == f"${{local.names.{part}}}"


def test_every_variable_a_runtime_reads_is_set() -> None:
    env = _locals(STACK)["env"]
    runtimes = {**NAMES["functions"], **NAMES["services"]}
    wanted = {name for runtime in runtimes.values() for name in runtime["env"]}
    per_runtime = set(_locals(STACK).get("env_per_runtime_names", []))
    assert wanted - set(env) - per_runtime == set()


def test_every_secret_a_runtime_reads_is_made_and_readable_by_it_alone() -> None:
    accessors = _locals(STACK)["secret_accessors"]
    assert "local.names" in accessors  # derived from the names, not listed by hand


def test_every_entry_point_is_deployed_by_the_functions_module() -> None:
    functions = blocks(MODULES / "functions", "resource")
    [function] = [
        r for key, r in functions.items() if key.startswith("google_cloudfunctions2_function.")
    ]
    assert function["for_each"] == "${var.functions}"
    assert function["build_config"][0]["entry_point"] == "${each.key}"


def test_every_subscription_pushes_to_its_function() -> None:
    resources = blocks(MODULES / "pubsub", "resource")
    [subscription] = [
        r for key, r in resources.items() if key.startswith("google_pubsub_subscription.")
    ]
    assert "var.subscriptions" in subscription["for_each"]
    assert "var.push_endpoints" in subscription["push_config"][0]["push_endpoint"]


@pytest.mark.parametrize("env", env_dirs(), ids=lambda p: p.name)
def test_an_environment_keeps_its_state_in_gcs_and_composes_the_stack(env: Path) -> None:
    terraform = blocks_of(env, "terraform")
    backends = [b["backend"] for b in terraform if "backend" in b]
    assert backends and "gcs" in backends[0][0], f"{env.name}: no GCS backend"
    stack = blocks(env, "module")["vaultra"]
    assert stack["source"] == "../../modules/stack"


def test_there_is_a_dev_and_a_prod_environment() -> None:
    assert {e.name for e in env_dirs()} >= {"dev", "prod"}


def test_a_plan_whose_functions_could_exhaust_the_databases_connections_is_refused() -> None:
    functions = MODULES / "functions"
    locals_ = _locals(functions)
    # every function's max instances × the pool's peak, plus the reserve and the agent's share
    assert "var.db_peak_connections_per_instance" in locals_["function_connections"]
    assert "var.db_max_connections" in locals_["connections_fit"]
    assert blocks(functions, "check")["database_connections"]["assert"][0]["condition"] == (
        "${local.connections_fit}"
    )
    [function] = [
        r
        for key, r in blocks(functions, "resource").items()
        if key.startswith("google_cloudfunctions2_function.")
    ]
    conditions = [p["condition"] for p in function["lifecycle"][0]["precondition"]]
    assert "${local.connections_fit}" in conditions
    stack = _stack_modules()["functions"]
    assert stack["db_peak_connections_per_instance"] == "${local.peak_per_instance}"
    assert "module.database.max_connections" in stack["db_max_connections"]
