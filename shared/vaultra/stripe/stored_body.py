"""A raw webhook body as text PostgreSQL's `text` column can hold. Pure.

A signed body is kept even when it is not a usable event, so that what Stripe sent can be read
later. PostgreSQL's text holds neither invalid UTF-8 nor NUL, so such bytes are written as escapes
(`\\xff`, `\\u0000`), and a body beyond a size limit is cut; the flags say which happened, because
neither change can be undone from the text alone.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredBody:
    text: str
    escaped: bool  # invalid UTF-8 written as `\xNN`, NUL as `\u0000`
    truncated: bool  # cut to the limit: the text is a prefix of the body


def _decode(body: bytes, errors: str, *, cut: bool) -> str:
    """Decode as UTF-8; at a `cut` end, leave out a multi-byte character the cut split in two."""
    return codecs.getincrementaldecoder("utf-8")(errors).decode(body, final=not cut)


def storable_body(body: bytes, limit: int) -> StoredBody:
    """`body` as text of at most `limit` bytes (UTF-8) that PostgreSQL's text can hold."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    truncated = len(body) > limit
    # Escaping only lengthens, so bytes beyond the limit could never be kept.
    raw = body[:limit]
    try:
        text = _decode(raw, "strict", cut=truncated)
        escaped = False
    except UnicodeDecodeError:
        text = _decode(raw, "backslashreplace", cut=truncated)
        escaped = True
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
        escaped = True
    encoded = text.encode("utf-8")
    if len(encoded) > limit:  # the escapes made it longer
        text = encoded[:limit].decode("utf-8", "ignore")
        truncated = True
    return StoredBody(text, escaped, truncated)
