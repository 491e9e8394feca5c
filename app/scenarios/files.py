"""Scenario files: YAML read into checked dataclasses; a mistake names the file and scenario.

A file holds defaults (`process`, `now`, `variables`) and named `scenarios`; each scenario
starts one instance and runs its `steps` in order. See docs/processes.md, "Scenarios".
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

# The instant a scenario starts at unless its file says otherwise (a Monday, China time).
DEFAULT_NOW = "2026-01-05T09:00:00+08:00"

# What a step does, by its key (one per step). New kinds (a `signal` broadcast, a `decision`
# evaluated) join here and in runner.ACTIONS, each calling the engine's own use case.
STEP_KINDS = ("complete", "advance", "advance_to", "message", "expect")
STEP_OPTIONS = {
    "complete": {"data", "unit"},
    "advance": set(),
    "advance_to": set(),
    "message": {"payload", "correlation"},
    "expect": set(),
}
EXPECT_KEYS = (
    "ready",
    "path",
    "path_includes",
    "passed",
    "not_passed",
    "variables",
    "status",
    "end",
    "error",
)
SCENARIO_KEYS = {"process", "business_key", "unit", "now", "variables", "steps"}
FILE_KEYS = {"process", "now", "variables", "scenarios"}


class ScenarioFileError(Exception):
    """A scenario file that cannot be run as written."""


@dataclass(frozen=True)
class Step:
    """One step: an action (`kind` on `target`) or, with kind `expect`, assertions only."""

    index: int
    kind: str
    target: Any  # an element id, a message name, a timedelta, an instant; None for `expect`
    options: dict[str, Any]
    expect: dict[str, Any]
    written: str = ""  # the target as the file writes it

    @property
    def label(self) -> str:
        """`step 3 (complete sign_for)`, as failures name it."""
        what = self.kind if self.kind == "expect" else f"{self.kind} {self.written}"
        return f"step {self.index} ({what})"


@dataclass(frozen=True)
class Scenario:
    """A named run of one process: start it, then the steps."""

    file: str
    name: str
    process: str
    now: datetime
    business_key: str | None
    unit: str | None
    variables: dict[str, Any]
    steps: list[Step] = field(default_factory=list)

    @property
    def title(self) -> str:
        """`processes/tests/matter.yaml::late_report`."""
        return f"{self.file}::{self.name}"


class _Loader(yaml.SafeLoader):
    """YAML as JSON would carry it: `2026-07-15` stays a string, as the REST API receives it."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def scenario_files(paths: list[Path]) -> list[Path]:
    """The scenario files named, and those of each folder's `tests/` (or of a `tests` folder)."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        folder = path if path.name == "tests" else path / "tests"
        found.extend(sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]))
    return found


def read(path: Path) -> list[Scenario]:
    """The scenarios of one file, checked."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioFileError(f"{path}: cannot be read: {exc}") from exc
    where = str(path)
    top = _mapping(document, where)
    _only(top, FILE_KEYS, where)
    scenarios = _mapping(top.get("scenarios"), f"{where}: scenarios")
    if not scenarios:
        raise ScenarioFileError(f"{where}: no scenarios")
    return [_scenario(where, str(name), body, top) for name, body in scenarios.items()]


def _scenario(file: str, name: str, body: Any, defaults: dict[str, Any]) -> Scenario:
    where = f"{file}::{name}"
    body = _mapping(body, where)
    _only(body, SCENARIO_KEYS, where)
    process = body.get("process", defaults.get("process"))
    if not isinstance(process, str):
        raise ScenarioFileError(f"{where}: which process? (`process: key`)")
    variables = {
        **_mapping(defaults.get("variables", {}), f"{file}: variables"),
        **_mapping(body.get("variables", {}), f"{where}: variables"),
    }
    steps = body.get("steps", [])
    if not isinstance(steps, list):
        raise ScenarioFileError(f"{where}: steps must be a list")
    return Scenario(
        file=file,
        name=name,
        process=process,
        now=instant(str(body.get("now", defaults.get("now", DEFAULT_NOW))), where),
        business_key=_text_or_none(body.get("business_key")),
        unit=_text_or_none(body.get("unit")),
        variables=variables,
        steps=[_step(i, s, where) for i, s in enumerate(steps, 1)],
    )


def _step(index: int, raw: Any, where: str) -> Step:
    here = f"{where}: step {index}"
    raw = _mapping(raw, here)
    kinds = [k for k in raw if k in STEP_KINDS and k != "expect"] or (
        ["expect"] if "expect" in raw else []
    )
    if len(kinds) != 1:
        known = ", ".join(STEP_KINDS)
        raise ScenarioFileError(f"{here}: a step does exactly one of {known}; got {sorted(raw)}")
    kind = kinds[0]
    options = {k: v for k, v in raw.items() if k not in (kind, "expect")}
    _only(options, STEP_OPTIONS[kind], here)
    expect = _mapping(raw.get("expect", {}), f"{here}: expect")
    _only(expect, set(EXPECT_KEYS), f"{here}: expect")
    target = raw[kind] if kind != "expect" else None
    if kind == "advance":
        target = duration(str(target), here)
    elif kind == "advance_to":
        target = instant(str(target), here)
    elif kind in ("complete", "message") and not isinstance(target, str):
        raise ScenarioFileError(f"{here}: `{kind}` names an element id or a message name")
    for key in ("data", "payload"):
        if key in options:
            _mapping(options[key], f"{here}: {key}")
    written = "" if kind == "expect" else str(raw[kind])
    return Step(index, kind, target, options, expect, written)


_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def duration(text: str, where: str) -> timedelta:
    """An ISO 8601 duration without months or years (`P3D`, `PT36H`, `P1W`)."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT"):
        raise ScenarioFileError(f"{where}: {text!r} is not a duration such as P3D or PT36H")
    return timedelta(**{k: int(v) for k, v in match.groupdict().items() if v})


def instant(text: str, where: str) -> datetime:
    """An ISO 8601 instant with its offset (`2026-07-15T09:00:00+08:00`)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ScenarioFileError(f"{where}: {text!r} is not an ISO 8601 instant") from exc
    if value.tzinfo is None:
        raise ScenarioFileError(f"{where}: {text!r} needs an offset such as +08:00")
    return value.astimezone(UTC)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioFileError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _only(value: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ScenarioFileError(f"{where}: unknown keys {unknown} (allowed: {sorted(allowed)})")


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
