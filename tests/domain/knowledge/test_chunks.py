"""An article becomes passages: its summary, then one per section, a long section split between
paragraphs, each passage carrying its article's title, topics and sources."""

from __future__ import annotations

from datetime import date

from vaultra.domain.knowledge.articles import Article
from vaultra.domain.knowledge.chunks import chunk_article


def _article(body: str) -> Article:
    return Article(
        id="kb-example",
        title="Disputes",
        topics=("disputes",),
        sources=("https://docs.stripe.com/disputes/measuring",),
        updated=date(2026, 11, 29),
        body=body,
    )


def _words(n: int, word: str) -> str:
    return " ".join([word] * n)


BODY = """The summary paragraph.

## What counts

Disputes count in the month they are opened.

### A detail

Even when you win.

## What to do

Answer quickly.
"""


def test_the_summary_and_each_section_are_passages_in_reading_order() -> None:
    chunks = chunk_article(_article(BODY))

    assert [(c.number, c.heading, c.text) for c in chunks] == [
        (0, None, "The summary paragraph."),
        (
            1,
            "What counts",
            "Disputes count in the month they are opened.\n\n### A detail\n\nEven when you win.",
        ),
        (2, "What to do", "Answer quickly."),
    ]
    assert {(c.title, c.topics, c.sources) for c in chunks} == {
        ("Disputes", ("disputes",), ("https://docs.stripe.com/disputes/measuring",))
    }
    assert [c.ref for c in chunks] == ["kb-example#0", "kb-example#1", "kb-example#2"]


def test_a_long_section_is_split_between_paragraphs_never_inside_one() -> None:
    # Paragraphs of 4, 4, 4 and 9 words with room for 10: (4 + 4), (4), (9) — the third would make
    # 12, the fourth 13; a 9-word paragraph alone fits.
    body = "## Long\n\n" + "\n\n".join(
        [_words(4, "alpha"), _words(4, "beta"), _words(4, "gamma"), _words(9, "delta")]
    )
    chunks = chunk_article(_article(body), max_words=10)

    assert [c.text for c in chunks] == [
        f"{_words(4, 'alpha')}\n\n{_words(4, 'beta')}",
        _words(4, "gamma"),
        _words(9, "delta"),
    ]
    assert {c.heading for c in chunks} == {"Long"}


def test_a_paragraph_longer_than_a_passage_stays_whole() -> None:
    chunks = chunk_article(_article(f"## Long\n\n{_words(30, 'word')}"), max_words=10)
    assert [len(c.text.split()) for c in chunks] == [30]


def test_a_passage_digest_changes_with_what_is_indexed_and_only_then() -> None:
    before = chunk_article(_article(BODY))
    again = chunk_article(_article(BODY))
    edited = chunk_article(_article(BODY.replace("Answer quickly.", "Answer within days.")))

    assert [c.digest for c in before] == [c.digest for c in again]
    assert [a.digest == b.digest for a, b in zip(before, edited, strict=True)] == [
        True,
        True,
        False,
    ]
