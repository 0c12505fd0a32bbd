"""The knowledge base on PostgreSQL: indexing replaces the set of passages (touching only what
changed), search finds the passage that covers a question, within topics, and the articles as
written can all be indexed and cited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.domain.knowledge.articles import TOPICS, Article
from vaultra.domain.recommendations.catalog import ACTIONS
from vaultra.services.knowledge import (
    MAX_QUESTION,
    InvalidQuery,
    KnowledgeBase,
    NoKnowledgeBase,
    load_articles,
)

KNOWLEDGE = Path(__file__).resolve().parents[2] / "agent_service" / "knowledge"


def _article(id_: str, title: str, topics: tuple[str, ...], body: str) -> Article:
    return Article(id_, title, topics, ("https://example.org/source",), date(2026, 11, 29), body)


DISPUTES = _article(
    "kb-disputes",
    "Keep disputes low",
    ("disputes",),
    "Card networks count disputes by the month they are opened.\n\n"
    "## Descriptors\n\nA clear statement descriptor stops customers disputing a charge they "
    "do not recognise.\n\n## Refund first\n\nRefund an unhappy customer before they dispute.",
)
CHURN = _article(
    "kb-churn",
    "Reduce churn",
    ("churn", "retention"),
    "Customers who leave lower your retention.\n\n## Failed payments\n\nSmart Retries recover "
    "failed renewals.",
)
PAYOUTS = _article(
    "kb-payouts",
    "Payout failures",
    ("payouts",),
    "A payout fails when the bank account is closed.\n\n## Fix it\n\nUpdate the bank account.",
)


@pytest.fixture
def kb(db: Database) -> KnowledgeBase:
    knowledge = KnowledgeBase(db)
    knowledge.index([DISPUTES, CHURN, PAYOUTS])
    return knowledge


def test_indexing_replaces_the_set_and_touches_only_what_changed(db: Database) -> None:
    knowledge = KnowledgeBase(db)
    first = knowledge.index([DISPUTES, CHURN])
    assert (first.added, first.changed, first.removed, first.unchanged) == (5, 0, 0, 0)

    again = knowledge.index([DISPUTES, CHURN])
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 5)

    edited = _article(CHURN.id, CHURN.title, CHURN.topics, CHURN.body.replace("Smart", "Stripe's"))
    change = knowledge.index([DISPUTES, edited, PAYOUTS])
    # DISPUTES 3 unchanged; CHURN's summary unchanged, its section changed; PAYOUTS 2 added.
    assert (change.added, change.changed, change.removed, change.unchanged) == (2, 1, 0, 4)

    gone = knowledge.index([PAYOUTS])
    assert (gone.added, gone.changed, gone.removed, gone.unchanged) == (0, 0, 5, 2)
    assert knowledge.size() == 2


def test_the_passage_that_covers_the_question_comes_first(kb: KnowledgeBase) -> None:
    found = kb.search("Why do customers dispute a charge they do not recognise?")
    assert found[0].ref == "kb-disputes#1"
    assert found[0].heading == "Descriptors"
    assert found[0].sources == ("https://example.org/source",)


def test_a_question_is_matched_by_any_of_its_words_stemmed(kb: KnowledgeBase) -> None:
    # "renewal" and "failing" meet "renewals" and "failed" in one passage; nothing has "zebra".
    assert kb.search("zebra renewal failing")[0].ref == "kb-churn#1"


def test_topics_narrow_the_search(kb: KnowledgeBase) -> None:
    assert {p.article_id for p in kb.search("customers", topics=["churn"])} == {"kb-churn"}
    assert kb.search("customers", topics=["payouts"]) == []


def test_a_question_of_words_that_carry_no_meaning_finds_nothing(kb: KnowledgeBase) -> None:
    assert kb.search("what is the") == []
    assert kb.search("zebra") == []


def test_a_question_is_text_never_query_syntax(kb: KnowledgeBase, engine: Engine) -> None:
    for hostile in ("'; DROP TABLE knowledge_chunks; --", "bank & !account | (:*", "a:* <-> b"):
        kb.search(hostile)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM knowledge_chunks")).scalar_one() == 7


@pytest.mark.parametrize(
    ("question", "topics", "k", "says"),
    [
        ("   ", None, 5, "the question is empty"),
        ("x" * (MAX_QUESTION + 1), None, 5, f"longer than {MAX_QUESTION}"),
        ("disputes", ["gossip"], 5, "unknown topics ['gossip']"),
        ("disputes", None, 0, "k must be between 1 and 20"),
        ("disputes", None, 21, "k must be between 1 and 20"),
    ],
)
def test_a_search_that_cannot_be_answered_says_why(
    kb: KnowledgeBase, question: str, topics: list[str] | None, k: int, says: str
) -> None:
    with pytest.raises(InvalidQuery) as refused:
        kb.search(question, topics, k)
    assert says in str(refused.value)


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(NoKnowledgeBase) as refused:
        load_articles(tmp_path / "nowhere")
    assert "nowhere" in str(refused.value)


# --- the knowledge base as written ----------------------------------------------------------------


@pytest.fixture(scope="module")
def written() -> list[Article]:
    return load_articles(KNOWLEDGE)


def test_the_knowledge_base_holds_at_least_thirty_articles(written: list[Article]) -> None:
    assert len(written) >= 30


def test_every_article_a_recommendation_names_exists(written: list[Article]) -> None:
    assert {action.article for action in ACTIONS} - {a.id for a in written} == set()


def test_every_topic_has_an_article_so_a_filter_never_finds_nothing(
    written: list[Article],
) -> None:
    assert TOPICS - {topic for article in written for topic in article.topics} == set()


def test_every_article_is_substantial_and_titled_once(written: list[Article]) -> None:
    assert {a.id: a.words for a in written if a.words < 300} == {}
    titles = [a.title for a in written]
    assert len(titles) == len(set(titles))


# Questions a founder asks, and the article written to answer each.
QUESTIONS = {
    "how do I lower my dispute rate": "kb-dispute-prevention",
    "how is MRR calculated": "kb-mrr-explained",
    "my payout failed": "kb-payout-failures",
    "what does Lighter Capital require": "kb-saas-lenders",
    "should I offer annual plans": "kb-pricing-and-annual-plans",
    "what is net revenue retention": "kb-net-revenue-retention",
    "how do I respond to a chargeback": "kb-dispute-evidence",
    "what is venture debt": "kb-venture-debt",
    "one customer is most of my revenue": "kb-customer-concentration",
    "how does the readiness score work": "kb-readiness-score-explained",
    "customers' cards keep failing at renewal": "kb-failed-payment-recovery",
    "what documents should I prepare for a lender": "kb-data-room",
    "my sales are seasonal": "kb-seasonality",
    "SBA loan requirements": "kb-sba-and-bank-loans",
    "how do I reduce refunds": "kb-refund-reduction",
    "what is a good growth rate": "kb-growth-rates",
    "Visa dispute monitoring program thresholds": "kb-card-network-programs",
    "I sell in euros and dollars": "kb-multi-currency",
    "what is LTV": "kb-ltv-and-quick-ratio",
    "revenue based financing how does it work": "kb-revenue-based-financing",
    "What does Stripe Capital require?": "kb-stripe-capital",
}


def test_the_written_articles_answer_the_questions_they_are_for(
    db: Database, written: list[Article]
) -> None:
    knowledge = KnowledgeBase(db)
    knowledge.index(written)
    top_three = {q: [p.article_id for p in knowledge.search(q, k=3)] for q in QUESTIONS}
    missed = {q: found for q, found in top_three.items() if QUESTIONS[q] not in found}
    assert missed == {}


def test_a_result_holds_the_best_passage_of_each_article(db: Database) -> None:
    sections = "\n\n".join(
        f"## Part {n}\n\nDisputes and more disputes, part {n}." for n in range(4)
    )
    many = _article("kb-many", "Disputes again", ("disputes",), f"Disputes.\n\n{sections}")
    knowledge = KnowledgeBase(db)
    knowledge.index([many, DISPUTES])

    found = [p.article_id for p in knowledge.search("disputes", k=5)]

    assert sorted(found) == ["kb-disputes", "kb-many"]
