"""A 2xx means committed: a failing commit answers an error and leaves nothing behind."""

from conftest import deploy
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.engine.persist.models import ProcessInstance


def test_failed_commit_is_an_error_and_saves_nothing(client):
    deploy(client, "five_steps.bpmn")
    db = client.app.state.db

    def fail(session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    event.listen(db.sessions, "before_commit", fail)
    try:
        response = client.post("/api/v1/process-instances", json={"process_key": "five_steps"})
    finally:
        event.remove(db.sessions, "before_commit", fail)
    assert response.status_code == 503
    assert response.json()["code"] == "database_error"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    # The service still works afterwards.
    ok = client.post("/api/v1/process-instances", json={"process_key": "five_steps"})
    assert ok.status_code == 201
