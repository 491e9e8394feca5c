"""Routers that a request passes by when none of their routes can match its path.

FastAPI (since 0.137) keeps an included router as one node of its parent's route list, and it
routes a request by asking each node in turn; a node answers by matching every route under it,
without first asking whether the path could be under it at all (fastapi/fastapi#16159). With
this service's ~190 routes in ~36 routers, a request to a route near the end of the list (a
matter, the console, `/health`) spent 0.55–0.7 ms of CPU only to be found.

A `Router` first compares the request's path with the literal beginnings of its routes' paths
(each path up to its first `{`): one `str.startswith` with a tuple. A path that starts with
none of them cannot match any of its routes (a route's pattern is anchored and its literal part
is matched as written), so the router answers "no match" at once; any other path is matched
route by route, as before. The beginnings are computed when first needed and again whenever a
route is added anywhere under the router. A router included under a prefix (its own, or one
given to `include_router`) is never passed by itself, since its routes' paths do not carry that
prefix; the router it is included in passes by for it.
"""

from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path  # what FastAPI and Starlette match routes against
from starlette.routing import BaseRoute, Match
from starlette.types import Scope


def _literal(path: str) -> str:
    """The part of a route's path before its first parameter."""
    return path.split("{", 1)[0]


class Router(APIRouter):
    """An `APIRouter` that a request whose path none of its routes can match passes by."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Routers included here, each with the prefix it was included under.
        self._included: list[tuple[APIRouter, str]] = []
        self._routers: list[Router] = []
        self._heads: tuple[str, ...] = ("",)
        self._heads_size = -1
        # Off once this router is included under a prefix somewhere.
        self.guarded = True

    def include_router(self, router: APIRouter, *args: Any, **kwargs: Any) -> None:
        super().include_router(router, *args, **kwargs)
        # FastAPI puts this router's own prefix, and the one given here, before the routes'.
        given = kwargs.get("prefix", args[0] if args and isinstance(args[0], str) else "")
        prefix = self.prefix + given
        if prefix and isinstance(router, Router):
            router.guarded = False
        self._included.append((router, prefix))
        if isinstance(router, Router):
            self._routers.append(router)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.guarded and not get_route_path(scope).startswith(self.heads()):
            return Match.NONE, {}
        return super().matches(scope)

    def heads(self) -> tuple[str, ...]:
        """The literal beginnings of every route's path under this router ("" matches all)."""
        size = self.size()
        if size != self._heads_size:
            self._heads = _heads(self)
            self._heads_size = size
        return self._heads

    def size(self) -> int:
        """How many routes this router and the `Router`s under it hold (a change shows here)."""
        size = len(self.routes)
        for child in self._routers:
            size += child.size()
        return size


def _heads(router: Router) -> tuple[str, ...]:
    heads: set[str] = set()
    included = {id(child) for child, _ in router._included}
    for route in router.routes:
        heads.update(_route_heads(route, included))
    for child, prefix in router._included:
        if not isinstance(child, Router) or "{" in prefix:
            return ("",)  # not known here, or a parameter in the prefix: match route by route
        heads.update(prefix + head for head in child.heads())
    return ("",) if "" in heads else tuple(sorted(heads))


def _route_heads(route: BaseRoute, included: set[int]) -> set[str]:
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return {_literal(path)}
    if id(getattr(route, "original_router", None)) in included:
        return set()  # an included router: its heads are added with its prefix
    return {""}  # a route of unknown shape: it may match anything
