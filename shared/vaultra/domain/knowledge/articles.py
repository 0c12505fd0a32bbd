"""Knowledge-base articles: Markdown with YAML front matter, read and checked.

An article is retrieved text: data the agent quotes and cites, never instructions. What is checked
here is that it can be indexed, filtered and cited: an id equal to its file name, a title, one to
three topics from `TOPICS`, at least one public source (an https URL) and the date it was last
reviewed. An article that fails says which file and which field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import yaml

TOPICS = frozenset(
    {
        "lenders",
        "financing-options",
        "revenue-based-financing",
        "bank-and-sba",
        "venture-debt",
        "data-room",
        "disputes",
        "refunds",
        "failed-payments",
        "churn",
        "retention",
        "expansion",
        "concentration",
        "payouts",
        "cash-flow",
        "growth",
        "seasonality",
        "pricing",
        "metrics",
        "score",
        "stripe-setup",
    }
)
MAX_TOPICS = 3
_ID = re.compile(r"^kb-[a-z0-9]+(?:-[a-z0-9]+)*$")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
_FIELDS = ("id", "title", "topics", "sources", "updated")


class InvalidArticle(ValueError):
    """An article that cannot be indexed as it is; the message names the file and the field."""


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    topics: tuple[str, ...]
    sources: tuple[str, ...]
    updated: date
    body: str  # Markdown, without the front matter

    @property
    def words(self) -> int:
        return len(self.body.split())


def parse_article(name: str, text: str) -> Article:
    """The article in `text`, read from a file called `name` (its id plus `.md`)."""
    found = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if found is None:
        raise InvalidArticle(f"{name}: no front matter (a block between two `---` lines first)")
    try:
        meta = yaml.safe_load(found.group(1))
    except yaml.YAMLError as exc:
        raise InvalidArticle(f"{name}: the front matter is not valid YAML ({exc})") from None
    if not isinstance(meta, dict):
        raise InvalidArticle(f"{name}: the front matter is not a mapping of fields")
    unknown = sorted(set(meta) - set(_FIELDS))
    missing = [field for field in _FIELDS if field not in meta]
    if unknown or missing:
        raise InvalidArticle(f"{name}: fields missing {missing}, unknown {unknown}")
    article = Article(
        id=_id(name, meta["id"]),
        title=_text(name, "title", meta["title"]),
        topics=_topics(name, meta["topics"]),
        sources=_sources(name, meta["sources"]),
        updated=_date(name, meta["updated"]),
        body=found.group(2).strip(),
    )
    if not article.body:
        raise InvalidArticle(f"{name}: the article has no body")
    return article


def _id(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidArticle(f"{name}: id must look like `kb-words-with-dashes`, got {value!r}")
    if f"{value}.md" != name:
        raise InvalidArticle(f"{name}: id {value!r} must equal the file name without `.md`")
    return value


def _text(name: str, field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArticle(f"{name}: {field} must be non-empty text")
    return value.strip()


def _topics(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_TOPICS:
        raise InvalidArticle(f"{name}: topics must be a list of 1 to {MAX_TOPICS} topics")
    unknown = [topic for topic in value if topic not in TOPICS]
    if unknown:
        raise InvalidArticle(f"{name}: unknown topics {unknown} (see TOPICS)")
    return tuple(value)


def _sources(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidArticle(f"{name}: sources must list at least one public URL")
    for url in value:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme != "https" or not parts.netloc or " " in url:
            raise InvalidArticle(f"{name}: source {url!r} is not an https URL")
    return tuple(value)


def _date(name: str, value: Any) -> date:
    # YAML reads an unquoted 2026-11-29 as a date already.
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidArticle(
            f"{name}: updated must be a date (YYYY-MM-DD), got {value!r}"
        ) from None
