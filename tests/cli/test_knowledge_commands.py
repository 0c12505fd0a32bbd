"""`vaultra knowledge index` and `vaultra knowledge search`, run as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner
from vaultra.cli import app

runner = CliRunner()

ARTICLE = """---
id: {id}
title: {title}
topics: [{topic}]
sources:
  - https://docs.stripe.com/disputes/measuring
updated: 2026-11-29
---

{body}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "kb-disputes.md").write_text(
        ARTICLE.format(
            id="kb-disputes",
            title="Disputes",
            topic="disputes",
            body="Disputes count by the month they are opened.\n\n## Descriptors\n\nA clear "
            "statement descriptor prevents disputes.",
        )
    )
    (kb / "kb-payouts.md").write_text(
        ARTICLE.format(
            id="kb-payouts",
            title="Payouts",
            topic="payouts",
            body="A payout fails when the bank account is closed.",
        )
    )
    return kb


def test_index_then_search_finds_the_passage_with_its_reference(folder: Path) -> None:
    indexed = runner.invoke(app, ["knowledge", "index", "--folder", str(folder), "--json"])
    assert indexed.exit_code == 0, indexed.output
    assert json.loads(indexed.output) == {
        "articles": 2,
        "added": 3,
        "changed": 0,
        "removed": 0,
        "unchanged": 0,
    }

    found = runner.invoke(app, ["knowledge", "search", "statement descriptor", "--json"])
    assert found.exit_code == 0, found.output
    [first, *_] = json.loads(found.output)
    assert (first["ref"], first["heading"]) == ("kb-disputes#1", "Descriptors")
    assert first["sources"] == ["https://docs.stripe.com/disputes/measuring"]

    narrowed = runner.invoke(
        app, ["knowledge", "search", "statement descriptor", "--topic", "payouts", "--json"]
    )
    assert json.loads(narrowed.output) == []


def test_a_faulty_article_stops_the_index_naming_it_and_changes_nothing(folder: Path) -> None:
    assert runner.invoke(app, ["knowledge", "index", "--folder", str(folder)]).exit_code == 0
    (folder / "kb-broken.md").write_text(
        ARTICLE.format(id="kb-broken", title="Broken", topic="gossip", body="Text.")
    )

    refused = runner.invoke(app, ["knowledge", "index", "--folder", str(folder)])

    assert refused.exit_code == 2
    assert "kb-broken.md: unknown topics ['gossip']" in refused.output
    still = runner.invoke(app, ["knowledge", "search", "payout bank", "--json"])
    assert [p["ref"] for p in json.loads(still.output)] == ["kb-payouts#0"]


def test_a_search_that_cannot_be_answered_says_why() -> None:
    refused = runner.invoke(app, ["knowledge", "search", "disputes", "--topic", "gossip"])
    assert refused.exit_code == 2
    assert "unknown topics ['gossip']" in refused.output
