"""Shapes every API shares: pages and the error body."""

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: the items and the total that match the filters.

    `total` is exact up to `COUNT_CAP` (app.kit.paging; `SEARCH_COUNT_CAP` for a text search,
    whose count reads each row's own text); past it, counting every row would cost
    what the history costs, so it is the database's estimate — `total_is_estimate` says so (on
    SQLite, which has no planner estimate, a lower bound: more than the cap). `next_cursor`, when
    set, fetches the page after this one (`cursor=`) at the cost of a page however deep it is.
    """

    items: list[T]
    total: int
    limit: int
    offset: int
    total_is_estimate: bool = False
    next_cursor: str | None = None


class ErrorOut(BaseModel):
    """Every error response: a message, a stable code, and the problems it found."""

    detail: str
    code: str
    errors: list[dict[str, Any]] = Field(default_factory=list)


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 422)
}
