"""A loopback Pinecone index speaking the real data-plane REST protocol (API version 2026-07, as
the `pinecone` SDK 10.x sends it), so the official SDK talks to it unchanged.

Routes, with the JSON the SDK sends and decodes (camelCase on the wire):

- `POST /vectors/upsert` `{"vectors": [{"id", "values", "metadata"?}], "namespace"?}` →
  `{"upsertedCount"}`
- `POST /query` `{"topK", "vector" | "id", "namespace"?, "filter"?, "includeValues",
  "includeMetadata"}` → `{"matches": [{"id", "score", "values", "metadata"?}], "namespace",
  "usage"}`, ranked by cosine similarity (the index's metric)
- `GET /vectors/fetch?ids=…&ids=…&namespace=…` → `{"vectors": {id: {…}}, "namespace", "usage"}`
- `GET /vectors/list?namespace=…&prefix=…&limit=…&paginationToken=…` → `{"vectors": [{"id"}],
  "pagination": {"next"}?, "namespace", "usage"}`, ids in order, at most 100 a page
- `POST /vectors/delete` `{"ids"? | "deleteAll"? | "filter"?, "namespace"}` → `{}`
- `POST /describe_index_stats` → `{"namespaces": {name: {"vectorCount"}}, "dimension", …}`

As Pinecone does, it answers 401 (plain text and a `www-authenticate` header) without the right
`Api-Key` header, 413 for a request body over 2 MB, 400 (`{"code": 3, "message": …}`) for a
vector of the wrong dimension or a filter operator Pinecone does not know, and keeps metadata
numbers as floats. `fail(status, n)`
makes the next `n` requests answer `status`. Every request is recorded, headers included.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from vaultra_dev.loopback import free_port

from tests.support.aiohttp_thread import served_in_a_thread

LIST_LIMIT_MAX = 100
UPSERT_MAX = 1000
REQUEST_BYTES_MAX = 2 * 1024 * 1024
_COMPARISONS = {"$gt", "$gte", "$lt", "$lte"}
_OPERATORS = {"$eq", "$ne", "$in", "$nin", "$exists", *_COMPARISONS}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: list[tuple[str, str]]
    body: Any  # the parsed JSON body, None for a GET


@dataclass
class Stored:
    values: list[float]
    metadata: dict[str, Any] | None


@dataclass
class PineconeServer:
    url: str  # the index's host, as the SDK's `host=` takes it
    api_key: str
    dimension: int
    namespaces: dict[str, dict[str, Stored]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)

    def fail(self, status: int, times: int = 1) -> None:
        """Answer the next `times` requests with `status` (a Pinecone-shaped error body)."""
        self.failures.extend([status] * times)

    def sent(self, path: str) -> list[Recorded]:
        """The recorded requests to `path`, in order."""
        return [r for r in self.requests if r.path == path]

    def ids(self, namespace: str) -> set[str]:
        return set(self.namespaces.get(namespace, {}))


SERVER = web.AppKey("pinecone_server", PineconeServer)


class BadRequest(Exception):
    """Answered 400 with Pinecone's gRPC-status body (code 3, INVALID_ARGUMENT)."""


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "details": []}, status=status)


def _usage() -> dict[str, int]:
    return {"readUnits": 1}


def _namespace_name(namespace: str) -> str:
    return namespace or "__default__"


def _cosine(a: list[float], b: list[float]) -> float:
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norms if norms else 0.0


def _stored_metadata(metadata: Any) -> dict[str, Any] | None:
    """Metadata as Pinecone keeps it: numbers become 64-bit floats, strings, booleans and lists
    of strings stay; anything else is refused."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise BadRequest("metadata must be an object")
    kept: dict[str, Any] = {}
    for key, value in metadata.items():
        if isinstance(value, bool | str):
            kept[key] = value
        elif isinstance(value, int | float):
            kept[key] = float(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            kept[key] = list(value)
        else:
            raise BadRequest(
                f"Metadata value for field {key!r} must be a string, number, "
                "boolean or list of strings"
            )
    return kept


def _check_filter(expression: Any) -> None:
    """Refuse, as Pinecone does before searching anything, a filter it cannot read."""
    if not isinstance(expression, dict) or not expression:
        raise BadRequest("a filter must be a non-empty object")
    for key, condition in expression.items():
        if key in ("$and", "$or"):
            if not isinstance(condition, list) or not condition:
                raise BadRequest(f"{key} takes a non-empty array of filters")
            for sub in condition:
                _check_filter(sub)
        elif key.startswith("$"):
            raise BadRequest(f"unknown operator {key} at the top of a filter")
        elif isinstance(condition, dict):
            for operator, operand in condition.items():
                if operator in ("$in", "$nin") and not isinstance(operand, list):
                    raise BadRequest(f"{operator} takes an array")
                if operator in _COMPARISONS and (
                    not isinstance(operand, int | float) or isinstance(operand, bool)
                ):
                    raise BadRequest(f"{operator} takes a number")
                if operator not in _OPERATORS:
                    raise BadRequest(f"unknown operator {operator} on field {key!r}")


def _matches(metadata: dict[str, Any] | None, expression: dict[str, Any]) -> bool:
    """Pinecone's metadata filter (checked by `_check_filter`) on one vector: `$and`/`$or` of
    field conditions, a bare value meaning `$eq`; on a list field `$eq`/`$in` hold when any
    element does, `$ne`/`$nin` when none does."""
    metadata = metadata or {}
    for key, condition in expression.items():
        if key == "$and":
            if not all(_matches(metadata, sub) for sub in condition):
                return False
        elif key == "$or":
            if not any(_matches(metadata, sub) for sub in condition):
                return False
        else:
            operations = condition if isinstance(condition, dict) else {"$eq": condition}
            for operator, operand in operations.items():
                if not _holds(metadata.get(key), operator, operand):
                    return False
    return True


def _holds(value: Any, operator: str, operand: Any) -> bool:
    elements = value if isinstance(value, list) else [] if value is None else [value]
    if operator in ("$in", "$nin"):
        hit = any(element in operand for element in elements)
        return hit if operator == "$in" else not hit
    if operator in ("$eq", "$ne"):
        hit = operand in elements
        return hit if operator == "$eq" else not hit
    if operator == "$exists":
        return (value is not None) == bool(operand)
    if not isinstance(value, float):  # a comparison holds only on a number
        return False
    return {
        "$gt": value > operand,
        "$gte": value >= operand,
        "$lt": value < operand,
        "$lte": value <= operand,
    }[operator]


def _vector_json(id_: str, stored: Stored, values: bool, metadata: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": id_, "values": stored.values if values else []}
    if metadata and stored.metadata is not None:
        out["metadata"] = stored.metadata
    return out


async def _upsert(server: PineconeServer, request: web.Request, body: Any) -> web.Response:
    namespace = body.get("namespace", "")
    vectors = body.get("vectors")
    if not isinstance(vectors, list) or not vectors:
        raise BadRequest("vectors must be a non-empty array")
    if len(vectors) > UPSERT_MAX:
        raise BadRequest(f"at most {UPSERT_MAX} vectors per upsert, got {len(vectors)}")
    staged: dict[str, Stored] = {}
    for vector in vectors:
        if not isinstance(vector, dict):
            raise BadRequest("each vector must be an object")
        id_, values = vector.get("id"), vector.get("values")
        if not isinstance(id_, str) or not id_ or not isinstance(values, list):
            raise BadRequest("each vector needs an id and values")
        if len(values) != server.dimension:
            raise BadRequest(
                f"Vector dimension {len(values)} does not match the dimension of the index "
                f"{server.dimension}"
            )
        staged[id_] = Stored([float(v) for v in values], _stored_metadata(vector.get("metadata")))
    server.namespaces.setdefault(namespace, {}).update(staged)
    return web.json_response({"upsertedCount": len(vectors)})


async def _query(server: PineconeServer, request: web.Request, body: Any) -> web.Response:
    namespace = body.get("namespace", "")
    top_k = body.get("topK")
    if not isinstance(top_k, int) or top_k < 1:
        raise BadRequest("topK must be a positive integer")
    stored = server.namespaces.get(namespace, {})
    if "id" in body:
        query_vector = stored[body["id"]].values if body["id"] in stored else None
    else:
        query_vector = body.get("vector")
    if query_vector is not None and len(query_vector) != server.dimension:
        raise BadRequest(
            f"Query vector dimension {len(query_vector)} does not match the dimension of the "
            f"index {server.dimension}"
        )
    condition = body.get("filter")
    if condition is not None:
        _check_filter(condition)
    scored = []
    if query_vector is not None:
        for id_, vector in stored.items():
            if condition is None or _matches(vector.metadata, condition):
                scored.append((_cosine(query_vector, vector.values), id_, vector))
    scored.sort(key=lambda hit: (-hit[0], hit[1]))
    matches = [
        {
            **_vector_json(
                id_, vector, body.get("includeValues", False), body.get("includeMetadata", False)
            ),
            "score": score,
        }
        for score, id_, vector in scored[:top_k]
    ]
    return web.json_response(
        {"results": [], "matches": matches, "namespace": namespace, "usage": _usage()}
    )


async def _fetch(server: PineconeServer, request: web.Request, body: Any) -> web.Response:
    namespace = request.query.get("namespace", "")
    stored = server.namespaces.get(namespace, {})
    ids = request.query.getall("ids", [])
    if not ids:
        raise BadRequest("ids must not be empty")
    vectors = {i: _vector_json(i, stored[i], True, True) for i in ids if i in stored}
    return web.json_response({"vectors": vectors, "namespace": namespace, "usage": _usage()})


async def _list(server: PineconeServer, request: web.Request, body: Any) -> web.Response:
    namespace = request.query.get("namespace", "")
    prefix = request.query.get("prefix", "")
    try:
        limit = int(request.query.get("limit", LIST_LIMIT_MAX))
    except ValueError:
        raise BadRequest("limit must be an integer") from None
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise BadRequest(f"limit must be between 1 and {LIST_LIMIT_MAX}")
    token = request.query.get("paginationToken")
    try:
        after = base64.urlsafe_b64decode(token).decode() if token else None
    except ValueError:  # binascii.Error and UnicodeDecodeError both are
        raise BadRequest("paginationToken is not one this index gave") from None
    ids = sorted(i for i in server.namespaces.get(namespace, {}) if i.startswith(prefix))
    if after is not None:
        ids = [i for i in ids if i > after]
    page = ids[:limit]
    answer: dict[str, Any] = {
        "vectors": [{"id": i} for i in page],
        "namespace": namespace,
        "usage": _usage(),
    }
    if len(ids) > limit:  # Pinecone leaves `pagination` out on the last page
        answer["pagination"] = {"next": base64.urlsafe_b64encode(page[-1].encode()).decode()}
    return web.json_response(answer)


async def _delete(server: PineconeServer, request: web.Request, body: Any) -> web.Response:
    namespace = body.get("namespace", "")
    stored = server.namespaces.get(namespace, {})
    selectors = [key for key in ("ids", "deleteAll", "filter") if body.get(key)]
    if len(selectors) != 1:
        raise BadRequest("give exactly one of ids, deleteAll and filter")
    if body.get("deleteAll"):
        server.namespaces.pop(namespace, None)
    elif "ids" in body:
        for id_ in body["ids"]:
            stored.pop(id_, None)
    else:
        _check_filter(body["filter"])
        for id_ in [i for i, v in stored.items() if _matches(v.metadata, body["filter"])]:
            del stored[id_]
    return web.json_response({})


async def _stats(server: PineconeServer, request: web.Request, body: Any) -> web.Response:
    if body and body.get("filter"):
        raise BadRequest("describe_index_stats does not take a filter on serverless indexes")
    namespaces = {
        _namespace_name(name): {"vectorCount": len(vectors)}
        for name, vectors in server.namespaces.items()
        if vectors
    }
    return web.json_response(
        {
            "namespaces": namespaces,
            "dimension": server.dimension,
            "indexFullness": 0.0,
            "totalVectorCount": sum(n["vectorCount"] for n in namespaces.values()),
            "metric": "cosine",
            "vectorType": "dense",
        }
    )


Handler = Callable[[PineconeServer, web.Request, Any], Awaitable[web.Response]]


def _route(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def answer(request: web.Request) -> web.Response:
        server = request.app[SERVER]
        body: Any = None
        raw = b""
        if request.method == "POST":
            raw = await request.read()
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
        server.requests.append(
            Recorded(
                request.method,
                request.path,
                dict(request.headers),
                list(request.query.items()),
                body,
            )
        )
        if request.headers.get("Api-Key") != server.api_key:
            message = "API key is missing or invalid for this index."
            return web.Response(status=401, text=message, headers={"www-authenticate": message})
        if server.failures:
            status = server.failures.pop(0)
            return _error(status, 14 if status >= 500 else 3, f"loopback failure {status}")
        if len(raw) > REQUEST_BYTES_MAX:
            return _error(
                413, 3, f"Request size {len(raw)} bytes exceeds the maximum of {REQUEST_BYTES_MAX}"
            )
        if request.method == "POST" and not isinstance(body, dict):
            return _error(400, 3, "the request body is not a JSON object")
        try:
            return await handler(server, request, body)
        except BadRequest as bad:
            return _error(400, 3, str(bad))

    return answer


@contextmanager
def pinecone_server(
    api_key: str = "pc-loopback-key", dimension: int = 4
) -> Iterator[PineconeServer]:
    """A Pinecone index's data plane on a loopback port, in a thread of its own; stopped on
    exit."""
    port = free_port()
    server = PineconeServer(f"http://127.0.0.1:{port}", api_key, dimension)
    # aiohttp refuses bodies over 1 MB by default; Pinecone's limit, enforced above, is 2 MB
    app = web.Application(client_max_size=2 * REQUEST_BYTES_MAX)
    app[SERVER] = server
    app.router.add_post("/vectors/upsert", _route(_upsert))
    app.router.add_post("/query", _route(_query))
    app.router.add_get("/vectors/fetch", _route(_fetch))
    app.router.add_get("/vectors/list", _route(_list))
    app.router.add_post("/vectors/delete", _route(_delete))
    app.router.add_post("/describe_index_stats", _route(_stats))
    with served_in_a_thread(app, port):
        yield server
