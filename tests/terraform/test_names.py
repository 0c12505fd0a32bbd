"""One source of truth for the names code and infrastructure share: `terraform/names.json` is what
`vaultra.deployment` reads from the code today, and that reading is complete — every setting a
runtime's start-up check can ask for is listed for that runtime, every entry point in functions/
is a function, and every topic has a subscriber."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import get_args

import pytest
from vaultra import deployment
from vaultra.config import ConfigurationError, Requirement, Settings, check_deployment

REPO = Path(__file__).resolve().parents[2]
NAMES = json.loads(deployment.NAMES_FILE.read_text("utf-8"))
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def test_the_committed_names_are_what_the_code_says_today() -> None:
    assert deployment.NAMES_FILE.read_text("utf-8") == deployment.render(), (
        "terraform/names.json is stale: run `python -m vaultra.deployment --write`"
    )


@pytest.mark.parametrize("need", get_args(Requirement))
def test_every_setting_a_start_up_check_asks_for_is_listed_for_its_requirement(
    need: Requirement,
) -> None:
    # A deployed runtime with nothing set: the refusal names every setting the check wants.
    bare = Settings(
        _env_file=None,
        VAULTRA_ENV="production",
        LLM_PROVIDER="openai",  # type: ignore[call-arg]
        VAULTRA_EMBEDDINGS="openai",
    )
    with pytest.raises(ConfigurationError) as refused:
        check_deployment(bare, [need], "a runtime")
    listed = {s.env for s in deployment.SETTINGS[need]}
    # "set A; B or C (why)": each problem names its settings; of alternatives, one will do (the
    # cloud sets INSTANCE_CONNECTION_NAME, never DATABASE_URL).
    for problem in str(refused.value).split(": set ", 1)[1].split("; "):
        asked = set(ENV_NAME.findall(problem.split(" (")[0])) or set(ENV_NAME.findall(problem))
        enough = bool(asked & listed) if " or " in problem else asked <= listed
        assert enough, f"{need} asks for {sorted(asked - listed)}, not in deployment.SETTINGS"


def test_every_runtime_gets_every_setting_and_secret_of_its_requirements() -> None:
    runtimes = {**NAMES["functions"], **NAMES["services"]}
    for name, runtime in runtimes.items():
        given = set(runtime["env"]) | set(runtime["secrets"])
        for need in runtime["needs"]:
            wanted = {s.env for s in deployment.SETTINGS[need]}
            assert wanted <= given, f"{name} lacks {sorted(wanted - given)} for {need}"
        assert "VAULTRA_ENV" in given
        assert set(runtime["secrets"].values()) <= set(NAMES["secrets"]), name


def _entry_points() -> dict[str, set[str]]:
    """functions/<name>/main.py → the names it binds at module level."""
    found = {}
    for main in sorted((REPO / "functions").glob("*/main.py")):
        tree = ast.parse(main.read_text("utf-8"))
        bound = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        found[main.parent.name] = bound
    return found


def test_every_entry_point_in_functions_is_deployed_under_its_own_name() -> None:
    entry_points = _entry_points()
    assert set(entry_points) == set(NAMES["functions"])
    for name, bound in entry_points.items():
        assert name in bound, f"functions/{name}/main.py does not define `{name}`"
        assert NAMES["functions"][name]["source"] == f"functions/{name}"


def test_every_topic_has_a_subscriber_and_its_dead_letters_one_too() -> None:
    subscribed = {s["topic"] for s in NAMES["subscriptions"]}
    assert set(NAMES["topics"].values()) <= subscribed
    assert set(NAMES["dead_letter_topics"].values()) <= subscribed
    for subscription in NAMES["subscriptions"]:
        function = NAMES["functions"][subscription["function"]]
        assert subscription["topic"] in function["topics"]


def test_the_scheduler_publishes_to_topics_that_exist() -> None:
    for job in NAMES["scheduler"].values():
        assert job["topic"] in NAMES["topics"].values()
        assert json.loads(job["data"]) is not None
        assert job["attributes"]["type"]
