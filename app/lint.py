"""`ducha lint`: every check deploy makes, offline, for designers and CI.

The files are deployed into a scratch SQLite database by an engine equipped as the service's
(step handlers, roles), callees before callers, exactly as `processes/` is deployed at start-up:
what lint passes, deploy takes, and what deploy refuses (422) lint reports, as
`file:element: message` lines or JSON.
"""

import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.config import Settings
from app.db import Database
from app.engine import (
    DeploymentOut,
    Engine,
    SpecCache,
    WorkflowCache,
    deploy_decision_files,
    deploy_in_rounds,
)
from app.kit.errors import InvalidBpmn
from app.migrate import upgrade


@dataclass(frozen=True)
class Message:
    """One finding: an error deploy would refuse the file for, or a warning it would give."""

    file: str
    element_id: str | None
    severity: str  # "error" | "warning"
    message: str
    line: int | None = None

    def text(self) -> str:
        """`file:element: severity: message` (`file:line:` when the element has no id)."""
        where = self.element_id or (str(self.line) if self.line else None)
        place = f"{self.file}:{where}" if where else self.file
        return f"{place}: {self.severity}: {self.message}"


def process_files(paths: list[Path]) -> list[Path]:
    """The files named, and the .dmn then .bpmn files of the directories named (not
    recursive), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend([*sorted(path.glob("*.dmn")), *sorted(path.glob("*.bpmn"))])
        else:
            found.append(path)
    return found


def read_forms(files: list[Path], folders: list[Path]) -> dict[str, Any]:
    """The JSON Schema forms in the `forms/` folder beside each file (as `processes/forms`)
    and in the folders named."""
    forms: dict[str, Any] = {}
    for folder in [*sorted({f.parent / "forms" for f in files}), *folders]:
        for path in sorted(folder.glob("*.json")):
            forms[path.name] = json.loads(path.read_text(encoding="utf-8"))
    return forms


def lint(
    paths: list[Path],
    *,
    forms: list[Path] | None = None,
    max_bytes: int,
    equip: Callable[[Engine], None],
) -> list[Message]:
    """Deploy `paths` into a scratch database; what deploy said of each file.

    `equip` gives the engine what the service's has (app.main.equip: step handlers, roles), so
    that a marker no handler knows or a role nobody holds is refused as deploy refuses it.
    """
    files = process_files(paths)
    missing = [Message(str(f), None, "error", "no such file") for f in files if not f.is_file()]
    files = [f for f in files if f.is_file()]
    schemas = read_forms(files, forms or [])
    with tempfile.TemporaryDirectory(prefix="ducha-lint-") as scratch:
        url = f"sqlite:///{scratch}/lint.db"
        upgrade(url)
        settings = Settings(database_url=url, _env_file=None)
        database = Database(settings)
        try:
            engine = Engine(database, SpecCache(), WorkflowCache(0))
            equip(engine)
            return missing + deploy_all(engine, files, schemas, max_bytes)[1]
        finally:
            database.close()


def deploy_all(
    engine: Engine, files: list[Path], forms: dict[str, Any], max_bytes: int
) -> tuple[list[DeploymentOut], list[Message]]:
    """Deploy the decision tables (.dmn), then the diagrams callees first, as start-up does
    (`deploy_in_rounds`): in rounds until a round deploys none (a caller waits for its callee's
    round), then one file whose callee is not among them, bound late with a warning, and rounds
    again. What was deployed, and deploy's errors and warnings for each file."""
    deployed: list[DeploymentOut] = []
    messages: list[Message] = []
    for path in [f for f in files if f.suffix == ".dmn"]:
        try:
            deploy_decision_files(engine, [path], max_bytes=max_bytes)
        except InvalidBpmn as exc:
            messages.extend(_errors(path, exc))
    diagrams = [f for f in files if f.suffix != ".dmn"]
    results, refusals = deploy_in_rounds(engine, diagrams, forms, max_bytes)
    for path, result in results:
        deployed.append(result)
        messages.extend(_warnings(path, result))
    for path, refusal in refusals.items():
        messages.extend(_errors(path, refusal))
    return deployed, messages


def _warnings(path: Path, result: DeploymentOut) -> list[Message]:
    return [_message(path, "warning", w.model_dump()) for w in result.warnings]


def _errors(path: Path, refusal: InvalidBpmn) -> list[Message]:
    errors = refusal.errors or [{"element_id": None, "message": refusal.detail}]
    return [_message(path, "error", e) for e in errors]


def _message(path: Path, severity: str, error: dict[str, Any]) -> Message:
    text = str(error.get("message", ""))
    attribute = error.get("attribute")
    if attribute and not text.startswith(f"{attribute}:"):  # refusals already name it
        text = f"{attribute}: {text}"
    line = error.get("line")
    return Message(
        str(path), error.get("element_id"), severity, text, line if isinstance(line, int) else None
    )


def render(messages: list[Message], fmt: str) -> str:
    """The messages as text lines or as one JSON list."""
    if fmt == "json":
        return json.dumps([asdict(m) for m in messages], ensure_ascii=False, indent=2)
    return "\n".join(m.text() for m in messages)
