"""The numpy all-MiniLM-L6-v2 against sentence-transformers itself: `minilm_reference.json` holds
the vectors that sentence-transformers 6.2 on torch 2.13 (CPU) computed from the same weights
for short, accented, non-Latin, empty and over-long (> 256 tokens) texts. Ours must match them
to float32 noise, stay unit length, and not depend on batching or order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from vaultra.llm.embeddings import Embedder
from vaultra.llm.minilm import MiniLM

REFERENCE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "minilm_reference.json").read_text(encoding="utf-8")
)
TEXTS: list[str] = [case["text"] for case in REFERENCE["cases"]]
EXPECTED = np.array([case["vector"] for case in REFERENCE["cases"]])

# The references are rounded to 6 decimals (±5e-7); float32 and a different summation order add
# about 2e-7. 1e-5 leaves room for other BLAS builds while catching any real slip (a tanh GELU,
# a wrong epsilon or a missed mask moves components by 1e-4 and more).
MAX_ABS_DIFF = 1e-5
MIN_COSINE = 0.9999


@pytest.fixture(scope="module")
def minilm() -> MiniLM:
    return MiniLM()


def test_it_is_an_embedder_of_384_dimensions_named_after_the_model(minilm: MiniLM) -> None:
    embedder: Embedder = minilm

    assert (embedder.name, embedder.model, embedder.dimensions) == (
        "minilm",
        "all-MiniLM-L6-v2",
        384,
    )


def test_vectors_match_sentence_transformers(minilm: MiniLM) -> None:
    got = np.array(minilm.embed(TEXTS))

    assert got.shape == (len(TEXTS), 384)
    assert np.abs(got - EXPECTED).max() <= MAX_ABS_DIFF
    assert (got * EXPECTED).sum(axis=1).min() >= MIN_COSINE


def test_vectors_have_unit_length(minilm: MiniLM) -> None:
    norms = np.linalg.norm(np.array(minilm.embed(TEXTS)), axis=1)

    assert np.allclose(norms, 1.0, atol=1e-6)


def test_one_at_a_time_equals_all_at_once_and_order_follows_the_input(minilm: MiniLM) -> None:
    together = np.array(minilm.embed(TEXTS))
    alone = np.array([minilm.embed([text])[0] for text in TEXTS])
    reversed_ = np.array(minilm.embed(TEXTS[::-1]))[::-1]

    assert np.abs(alone - together).max() <= 1e-6
    assert np.abs(reversed_ - together).max() <= 1e-6


def test_small_batches_give_the_same_vectors() -> None:
    got = np.array(MiniLM(batch_size=3).embed(TEXTS))

    assert np.abs(got - EXPECTED).max() <= MAX_ABS_DIFF


def test_text_past_256_tokens_is_cut_off(minilm: MiniLM) -> None:
    longest = max(TEXTS, key=len)

    [cut, longer] = minilm.embed([longest, longest + " Entirely different words about pricing."])

    assert np.abs(np.array(cut) - np.array(longer)).max() <= 1e-6


def test_no_texts_give_no_vectors(minilm: MiniLM) -> None:
    assert minilm.embed([]) == []


def test_a_question_on_chargebacks_is_closest_to_the_passage_on_disputes(minilm: MiniLM) -> None:
    question, disputes, pricing = np.array(
        minilm.embed(
            [
                "Why did a customer's chargeback take money out of my payout?",
                "A dispute (chargeback) happens when a cardholder asks their bank to reverse a "
                "payment; the amount and a fee are withdrawn from your balance until it is settled.",
                "Our plans cost 29 dollars a month for starters and 99 for growing teams, billed "
                "yearly with two months free.",
            ]
        )
    )

    assert question @ disputes > question @ pricing + 0.2
