"""`vaultra knowledge index` and `vaultra knowledge search`: the agent's knowledge base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from vaultra.cli.app import app, console, fail, ready_runtime
from vaultra.cli.options import JsonOption
from vaultra.domain.knowledge.articles import InvalidArticle
from vaultra.services.knowledge import (
    DEFAULT_RESULTS,
    InvalidQuery,
    NoKnowledgeBase,
    load_articles,
)

knowledge_app = typer.Typer(no_args_is_help=True, help="The agent's knowledge base.")
app.add_typer(knowledge_app, name="knowledge")


@knowledge_app.command("index")
def knowledge_index(
    folder: Annotated[
        Path | None,
        typer.Option(help="The articles' folder (default: VAULTRA_KNOWLEDGE_DIR)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Index the articles as passages for retrieval: the index then holds exactly these."""
    runtime = ready_runtime()
    try:
        articles = load_articles(folder or runtime.settings.knowledge_dir)
    except (NoKnowledgeBase, InvalidArticle) as exc:
        raise fail(str(exc)) from None
    change = runtime.knowledge.index(articles)
    if as_json:
        print(json.dumps({"articles": len(articles), **change.__dict__}))
        return
    console.print(
        f"{len(articles)} articles indexed: {change.added} passages added, {change.changed} "
        f"changed, {change.removed} removed, {change.unchanged} unchanged"
    )


@knowledge_app.command("search")
def knowledge_search(
    question: Annotated[str, typer.Argument(help="A question, in words.")],
    topic: Annotated[
        list[str] | None, typer.Option("--topic", help="Only passages of this topic (repeatable).")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="How many passages.")] = DEFAULT_RESULTS,
    as_json: JsonOption = False,
) -> None:
    """The passages that best answer a question."""
    runtime = ready_runtime()
    try:
        passages = runtime.knowledge.search(question, topic, k)
    except InvalidQuery as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "ref": p.ref,
                        "title": p.title,
                        "heading": p.heading,
                        "topics": list(p.topics),
                        "rank": round(p.rank, 4),
                        "text": p.body,
                        "sources": list(p.sources),
                    }
                    for p in passages
                ]
            )
        )
        return
    if not passages:
        console.print(
            "no passage matches (is the knowledge base indexed? `vaultra knowledge index`)"
        )
    for p in passages:
        where = f"{p.title} — {p.heading}" if p.heading else p.title
        console.print(f"[bold]{escape(p.ref)}[/]  {escape(where)}  [dim]{p.rank:.3f}[/]")
        first = p.body.split("\n\n")[0]
        console.print(f"  {escape(first[:300])}{'…' if len(first) > 300 else ''}")
