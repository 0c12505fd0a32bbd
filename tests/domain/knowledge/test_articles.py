"""An article's front matter is checked field by field: an article that cannot be indexed, filtered
or cited is refused, naming its file and the field."""

from __future__ import annotations

from datetime import date

import pytest
from vaultra.domain.knowledge.articles import (
    InvalidArticle,
    parse_article,
)

GOOD = """---
id: kb-example
title: "Disputes: what counts"
topics: [disputes, metrics]
sources:
  - https://docs.stripe.com/disputes/measuring
updated: 2026-11-29
---

A dispute counts in the month it is opened.
"""


def test_an_article_is_read_with_its_front_matter_and_body() -> None:
    article = parse_article("kb-example.md", GOOD)

    assert article.id == "kb-example"
    assert article.title == "Disputes: what counts"
    assert article.topics == ("disputes", "metrics")
    assert article.sources == ("https://docs.stripe.com/disputes/measuring",)
    assert article.updated == date(2026, 11, 29)
    assert article.body == "A dispute counts in the month it is opened."


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("id: kb-example", "id: kb-other"), "must equal the file name"),
        (("id: kb-example", "id: Example"), "id must look like"),
        (('title: "Disputes: what counts"', 'title: ""'), "title must be non-empty"),
        (
            ("topics: [disputes, metrics]", "topics: [disputes, gossip]"),
            "unknown topics ['gossip']",
        ),
        (("topics: [disputes, metrics]", "topics: []"), "topics must be a list of 1 to 3"),
        (
            ("topics: [disputes, metrics]", "topics: [disputes, metrics, churn, growth]"),
            "topics must be a list of 1 to 3",
        ),
        (("https://docs.stripe.com", "http://docs.stripe.com"), "is not an https URL"),
        (("updated: 2026-11-29", "updated: last week"), "updated must be a date"),
        (("updated: 2026-11-29", "author: someone\nupdated: 2026-11-29"), "unknown ['author']"),
        (("updated: 2026-11-29\n", ""), "fields missing ['updated']"),
        (("topics: [disputes, metrics]", "topics: [disputes"), "not valid YAML"),
        (("A dispute counts in the month it is opened.\n", ""), "has no body"),
    ],
)
def test_a_faulty_article_is_refused_naming_the_file_and_the_field(
    change: tuple[str, str], named: str
) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(InvalidArticle) as refused:
        parse_article("kb-example.md", GOOD.replace(old, new, 1))
    assert str(refused.value).startswith("kb-example.md: ")
    assert named in str(refused.value)


def test_an_article_without_front_matter_is_refused() -> None:
    with pytest.raises(InvalidArticle) as refused:
        parse_article("kb-example.md", "# Just a heading\n")
    assert str(refused.value).startswith("kb-example.md: no front matter")
