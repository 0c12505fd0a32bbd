"""Dense and hybrid retrieval with the offline embedder (all-MiniLM-L6-v2 in process): passages
embedded once by their digest, searched by cosine in pgvector or in Pinecone (its SDK against a
loopback server), and both rankings fused by article."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.llm.minilm import MiniLM
from vaultra.llm.pinecone_store import PineconeStore
from vaultra.services.knowledge import KnowledgeBase

from tests.services.test_knowledge import CHURN, DISPUTES, PAYOUTS
from tests.support.pinecone_server import pinecone_server

pytestmark = pytest.mark.integration


class CountingMiniLM(MiniLM):
    """The real model, counting the texts it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def embed(self, texts: list[str]) -> list[list[float]]:  # type: ignore[override]
        self.texts += len(texts)
        return super().embed(texts)


@pytest.fixture(scope="module")
def model() -> CountingMiniLM:
    return CountingMiniLM()


def vectors(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM knowledge_vectors")).scalar_one())


def test_each_passage_is_embedded_once_and_only_changes_are_embedded_again(
    db: Database, engine: Engine, model: CountingMiniLM
) -> None:
    knowledge = KnowledgeBase(db, embedder=model, method="dense")
    before = model.texts
    knowledge.index([DISPUTES, CHURN])
    assert model.texts - before == 5 and vectors(engine) == 5  # 3 + 2 passages

    knowledge.index([DISPUTES, CHURN])
    assert model.texts - before == 5  # nothing changed, nothing embedded

    knowledge.index([DISPUTES, PAYOUTS])
    # payouts' 2 passages are new; churn's 2 vectors are forgotten with their passages
    assert model.texts - before == 7 and vectors(engine) == 5


def test_dense_search_finds_a_paraphrase_with_no_word_in_common(
    db: Database, model: CountingMiniLM
) -> None:
    knowledge = KnowledgeBase(db, embedder=model, method="dense")
    knowledge.index([DISPUTES, CHURN, PAYOUTS])
    question = "the transfer of my earnings never arrived"

    assert knowledge.search(question, method="lexical") == []  # no shared word
    found = knowledge.search(question, k=3)
    assert found[0].article_id == "kb-payouts"
    assert 0 < found[0].rank <= 1  # a cosine similarity
    assert [p.article_id for p in knowledge.search(question, ["churn"])] == ["kb-churn"]


def test_hybrid_fuses_both_rankings_by_article(db: Database, model: CountingMiniLM) -> None:
    knowledge = KnowledgeBase(db, embedder=model, method="hybrid")
    knowledge.index([DISPUTES, CHURN, PAYOUTS])

    found = knowledge.search("a customer disputed a charge they did not recognise", k=3)

    assert found[0].article_id == "kb-disputes"
    assert len({p.article_id for p in found}) == len(found)  # one passage per article
    # first in both rankings: 1/61 + 1/61
    assert found[0].rank == pytest.approx(2 / 61)


@pytest.fixture
def pinecone() -> Iterator[PineconeStore]:
    with (
        pinecone_server(api_key="pc-test", dimension=384) as server,
        PineconeStore.connect(api_key="pc-test", host=server.url) as store,
    ):
        yield store


def test_with_pinecone_the_vectors_are_copied_there_and_searched_there(
    db: Database, model: CountingMiniLM, pinecone: PineconeStore
) -> None:
    in_postgres = KnowledgeBase(db, embedder=model, method="dense")
    on_pinecone = KnowledgeBase(db, embedder=model, store=pinecone, method="dense")
    on_pinecone.index([DISPUTES, CHURN, PAYOUTS])

    for question in (
        "the transfer of my earnings never arrived",
        "customers leaving",
        "statement descriptor",
    ):
        expected = [(p.article_id, p.number) for p in in_postgres.search(question, k=3)]
        assert [(p.article_id, p.number) for p in on_pinecone.search(question, k=3)] == expected
