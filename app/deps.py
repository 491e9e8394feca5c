"""What every route needs of the database: the app's `Database`, a read session, and the
transaction runner for use cases (the engine's face adds `EngineDep`, `run(engine, …)` and
`run_step` on top of these).

A read session is committed and closed before the response is sent; a use case
`fn(session, *, actor, …)` runs in one transaction, committed before the route returns and
retried whole on a conflict.
"""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.db import Database

T = TypeVar("T")
P = ParamSpec("P")


async def get_db(request: Request) -> Database:
    """The app's database (async: a sync dependency would cost a thread-pool hop per request)."""
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]


async def get_session(db: DbDep) -> AsyncIterator[Session]:
    """A session for a request that reads, committed (rolled back on error) and closed before
    the response is sent (`scope="function"`; style.md §2).

    Async so that opening it costs no thread-pool hop (a session connects at its first
    statement); its end, which talks to the database, runs in the thread pool. It does not take
    the SQLite writer lock (`Database.session`): a WAL reader neither waits for the writer nor
    blocks it.
    """
    session = db.sessions()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(session.close)
        raise
    await run_in_threadpool(_commit_and_close, session)


def _commit_and_close(session: Session) -> None:
    with session:
        session.commit()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def read(db: Database, work: Callable[[Session], T]) -> T:
    """`work` in a read session of the calling thread, committed and closed before returning.

    For the most requested reads (the task list, the inbox): a sync route that reads this way
    ends its session in its own thread, where `SessionDep` ends it in another hop to the thread
    pool after the route (0.56 ms more CPU for a `SELECT 1`, 1.4 ms for the task list, measured
    in-process; docs/performance.md). Like `SessionDep` it takes no SQLite writer lock."""
    with db.sessions() as session, session.begin():
        return work(session)


def run(
    db: Database,
    use_case: Callable[Concatenate[Session, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run `use_case(session, …)` in one transaction, committed before returning; retried whole
    on a conflict (`Database.transaction`)."""
    return db.transaction(lambda session: use_case(session, *args, **kwargs))
