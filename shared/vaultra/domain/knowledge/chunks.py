"""An article as the passages retrieval returns: one per `##` section, a long section split at
paragraph boundaries.

A passage must answer on its own when it is quoted, so each keeps its article's title and its
section's heading (both weigh more than the text in ranking), and a section is split only between
paragraphs, never inside one. The article's opening paragraphs, before any heading, are its summary
and form the first passage.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from vaultra.domain.knowledge.articles import Article

MAX_WORDS = 220  # a passage of a few paragraphs: enough to answer, small enough to rank precisely
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    article_id: str
    number: int  # 0-based, in reading order
    title: str  # the article's
    heading: str | None  # the section's; None for the summary before the first heading
    text: str
    topics: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def ref(self) -> str:
        """How an answer cites it: the article, and the passage within it."""
        return f"{self.article_id}#{self.number}"

    @property
    def digest(self) -> str:
        """What an index compares to tell a changed passage from an unchanged one."""
        parts = (self.title, self.heading or "", self.text, *self.topics, *self.sources)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def chunk_article(article: Article, *, max_words: int = MAX_WORDS) -> list[Chunk]:
    pieces: list[tuple[str | None, str]] = []
    for heading, paragraphs in _sections(article.body):
        pieces += [(heading, text) for text in _packed(paragraphs, max_words)]
    return [
        Chunk(article.id, n, article.title, heading, text, article.topics, article.sources)
        for n, (heading, text) in enumerate(pieces)
    ]


def _sections(body: str) -> list[tuple[str | None, list[str]]]:
    """(heading, paragraphs) in order; a `###` heading stays in its section's text."""
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    paragraph: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            sections[-1][1].append("\n".join(paragraph).strip())
            paragraph.clear()

    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            close_paragraph()
            sections.append((heading.group(1), []))
        elif line.strip():
            paragraph.append(line.rstrip())
        else:
            close_paragraph()
    close_paragraph()
    return [(heading, paragraphs) for heading, paragraphs in sections if paragraphs]


def _packed(paragraphs: list[str], max_words: int) -> list[str]:
    """Consecutive paragraphs joined while they fit in `max_words`; a paragraph longer than that
    on its own is one passage (cutting it would separate a sentence from what it qualifies)."""
    passages: list[str] = []
    current: list[str] = []
    words = 0
    for paragraph in paragraphs:
        size = len(paragraph.split())
        if current and words + size > max_words:
            passages.append("\n\n".join(current))
            current, words = [], 0
        current.append(paragraph)
        words += size
    if current:
        passages.append("\n\n".join(current))
    return passages
