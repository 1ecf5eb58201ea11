"""A fast lane for the hot screening endpoints (``POST /match``, ``GET /search``).

FastAPI's request handling (dependency solving, one pydantic validation per query parameter,
the body model) costs about as much CPU as a whole screening call on this hardware. For the
requests that are plainly well formed, which is nearly all of them, this module reads the
query string and the JSON body itself, checks exactly what the declared models would check,
and calls the same endpoint code. Anything it is not *certain* the models would accept
unchanged (an unusual content type, a number written as ``"5.0"``, a field of the wrong
type, JSON that orjson rejects, a dependency override) goes through FastAPI's normal path,
so every error response (422 with its ``errors`` list, 400, 401...) is the one FastAPI
gives. The declared route (parameters, body model, ``/docs``) is unchanged.

Nothing here runs before the route matched: middleware (body limit, error handlers) and
routing are the app's.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable, Coroutine

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

#: What pydantic would turn into the same int / float as Python does, without doubt.
_INT = re.compile(r"(?:0|[1-9][0-9]{0,8})\Z")
_FLOAT = re.compile(r"(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,17})?\Z")


class Fallback(Exception):
    """The request is not plainly valid: let FastAPI handle (and report) it."""


class FastExample:
    """A query example, as :class:`~listguard.api.yente.EntityExample` would hold it."""

    __slots__ = ("id", "schema_", "properties")

    def __init__(self, id: str | None, schema: str, properties: dict[str, Any]) -> None:
        self.id = id
        self.schema_ = schema
        self.properties = properties


FastHandler = Callable[[Request], Awaitable[Response]]


class FastRoute(APIRoute):
    """An :class:`APIRoute` that first tries ``fast(request)``; ``Fallback`` (raised before
    the handler has any side effect) hands the request to FastAPI's usual handler."""

    fast: FastHandler | None = None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        slow = super().get_route_handler()
        fast = self.fast
        if fast is None:
            return slow

        async def handler(request: Request) -> Response:
            if not getattr(request.app, "dependency_overrides", None):  # FastAPI resolves those
                try:
                    return await fast(request)
                except Fallback:
                    pass
            return await slow(request)

        return handler


def fast_route(fast: FastHandler) -> type[FastRoute]:
    """A route class whose requests try ``fast`` first."""
    return type(f"FastRoute_{fast.__name__}", (FastRoute,), {"fast": staticmethod(fast)})


# -- query parameters ---------------------------------------------------------------------------


def int_param(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not _INT.match(value):
        raise Fallback
    return int(value)


def float_param(value: str | None, default: float | None) -> float | None:
    if value is None:
        return default
    if not _FLOAT.match(value):
        raise Fallback
    return float(value)


# -- JSON bodies --------------------------------------------------------------------------------


async def json_body(request: Request) -> Any:
    """The parsed JSON body, when FastAPI would parse it as JSON to the same value."""
    content_type = request.headers.get("content-type")
    if content_type is None or content_type.partition(";")[0].strip().lower() != "application/json":
        raise Fallback
    body = await request.body()  # cached on the request: the slow path reads it again for free
    if not body:
        raise Fallback
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Fallback from None


def match_queries(data: Any) -> dict[str, FastExample]:
    """``MatchRequest.queries`` from a parsed body, or :class:`Fallback` unless the model
    would accept the body as it is. Non-empty ``weights`` or ``config`` go to FastAPI's path,
    which refuses them (listguard's matcher takes neither)."""
    if type(data) is not dict:
        raise Fallback
    queries = data.get("queries")
    if type(queries) is not dict:
        raise Fallback
    if data.get("weights") or data.get("config"):
        raise Fallback
    weights = data.get("weights")
    if weights is not None and type(weights) is not dict:
        raise Fallback
    config = data.get("config")
    if config is not None and type(config) is not dict:
        raise Fallback
    out: dict[str, FastExample] = {}
    for qid, ex in queries.items():
        if type(ex) is not dict or "schema_" in ex:
            raise Fallback
        eid = ex.get("id")
        if eid is not None and type(eid) is not str:
            raise Fallback
        schema = ex.get("schema")
        if type(schema) is not str:  # missing (yente requires it) or not a string: a 422
            raise Fallback
        props = ex.get("properties", None)
        if props is None:
            if "properties" in ex:
                raise Fallback  # null: a validation error
            props = {}
        elif type(props) is not dict:
            raise Fallback
        for value in props.values():
            if type(value) is not list and type(value) is not str:
                raise Fallback
        out[qid] = FastExample(eid, schema, props)
    return out


__all__ = [
    "Fallback",
    "FastExample",
    "FastRoute",
    "fast_route",
    "float_param",
    "int_param",
    "json_body",
    "match_queries",
]
