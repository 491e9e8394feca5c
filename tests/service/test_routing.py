"""Routers that a request passes by (app.kit.routing): the same route is found, sooner."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match

from app.kit.routing import Router

SAMPLE = "00000000-0000-4000-8000-000000000001"


def _scope(path: str, method: str = "GET", root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "path": path, "root_path": root_path, "method": method}


def _count_matches(route: Any) -> list[str]:
    """Record every path the route is asked to match."""
    seen: list[str] = []
    original = route.matches

    def matches(scope: Any) -> Any:
        seen.append(scope["path"])
        return original(scope)

    route.matches = matches
    return seen


def _router() -> Router:
    router = Router(prefix="/api/v1/things")

    @router.get("")
    def things() -> list[str]:
        return []

    @router.get("/{thing_id}")
    def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    return router


def test_a_path_none_of_its_routes_can_match_passes_the_router_by_unmatched() -> None:
    router = _router()
    app = FastAPI()
    app.include_router(router)
    asked = [_count_matches(route) for route in router.routes]
    with TestClient(app) as client:
        assert client.get("/api/v1/things/7").json() == {"id": "7"}
        assert client.get("/api/v1/other").status_code == 404
    assert router.heads() == ("/api/v1/things", "/api/v1/things/")
    # The thing's own path asked both routes (FastAPI asks twice); the other path asked none.
    assert all(seen for seen in asked)
    assert {path for seen in asked for path in seen} == {"/api/v1/things/7"}


def test_a_route_added_after_the_first_request_is_found() -> None:
    router = Router()

    @router.get("/api/v1/early")
    def early() -> str:
        return "early"

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.get("/api/v1/early").json() == "early"
        assert client.get("/api/v1/late").status_code == 404

        @router.get("/api/v1/late")
        def late() -> str:
            return "late"

        assert client.get("/api/v1/late").json() == "late"


def test_routers_included_under_prefixes_are_found_through_their_parents() -> None:
    outer = Router(prefix="/api/v1/outer")
    inner = _router()  # its routes' paths are /api/v1/things…
    middle = Router()
    middle.include_router(inner, prefix="/deep")
    outer.include_router(middle)
    app = FastAPI()
    app.include_router(outer)
    assert not inner.guarded and not middle.guarded and outer.guarded
    assert outer.heads() == (
        "/api/v1/outer/deep/api/v1/things",
        "/api/v1/outer/deep/api/v1/things/",
    )
    with TestClient(app) as client:
        assert client.get("/api/v1/outer/deep/api/v1/things/3").json() == {"id": "3"}
        assert client.get("/api/v1/things/3").status_code == 404


def test_a_parameter_in_a_prefix_or_a_route_of_unknown_shape_turns_the_check_off() -> None:
    outer = Router()
    outer.include_router(_router(), prefix="/units/{unit}")
    assert outer.heads() == ("",)
    app = FastAPI()
    app.include_router(outer)
    with TestClient(app) as client:
        assert client.get("/units/320000/api/v1/things/9").json() == {"id": "9"}


def test_the_root_path_is_not_part_of_the_path_routes_are_matched_against() -> None:
    router = _router()
    app = FastAPI()
    app.include_router(router)
    with TestClient(app, root_path="/ducha") as client:
        assert client.get("/ducha/api/v1/things/5").json() == {"id": "5"}


# --- the service's own routes -----------------------------------------------------------------


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every route's methods and path (a sample value for each parameter), hidden ones too."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str, included: dict[int, str]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                path = re.sub(r"\{[^}]+\}", SAMPLE, prefix + route.path)
                found.extend((method, path) for method in sorted(route.methods))
            elif isinstance(child := getattr(route, "original_router", None), Router):
                inner = {id(r): p for r, p in child._included}
                walk(child.routes, prefix + included.get(id(child), ""), inner)

    walk(app.router.routes, "", {})
    return found


def _routers(app: FastAPI) -> list[Router]:
    """Every `Router` under the app, found through the routers it includes."""
    found: list[Router] = []
    todo = [
        route.original_router for route in app.router.routes if hasattr(route, "original_router")
    ]
    while todo:
        router = todo.pop()
        assert isinstance(router, Router), f"{router.prefix or router}: use app.kit.routing.Router"
        found.append(router)
        todo.extend(child for child, _ in router._included)
    return found


def _first_match(app: FastAPI, method: str, path: str) -> tuple[int, Match]:
    for index, route in enumerate(app.router.routes):
        match, _ = route.matches(_scope(path, method))
        if match is not Match.NONE:
            return index, match
    return -1, Match.NONE


def test_every_operation_of_the_service_is_routed_as_if_no_router_were_passed_by(
    client: TestClient,
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    routers = _routers(app)
    assert len(routers) >= 30
    operations = _operations(app)
    assert len(operations) >= 130
    guarded = {op: _first_match(app, *op) for op in operations}
    before = [router.guarded for router in routers]
    for router in routers:
        router.guarded = False
    try:
        plain = {op: _first_match(app, *op) for op in operations}
    finally:
        for router, was in zip(routers, before, strict=True):
            router.guarded = was
    assert guarded == plain
    assert all(match is Match.FULL for _, match in guarded.values())


@pytest.mark.parametrize("path", ["/health", f"/api/v1/matters/{SAMPLE}", "/api/v1/nowhere"])
def test_a_late_route_or_no_route_asks_no_api_route_of_a_router_it_is_not_under(
    client: TestClient, path: str
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    tasks = next(r for r in _routers(app) if r.prefix == "/api/v1/tasks")
    asked = [_count_matches(route) for route in tasks.routes if isinstance(route, APIRoute)]
    client.get(path)
    assert not any(asked)
    client.get("/api/v1/tasks")
    assert any(asked)
