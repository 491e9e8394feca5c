"""`ducha test [PATHS]`: deploy the diagrams into a scratch database, run every scenario, report
each verdict and each diagram's flow coverage.

As `ducha lint`, the files are deployed into a scratch SQLite database, callees first
(`app.lint.deploy_all`). Unlike lint, the engine has **no step handlers**: a scenario runs the
diagram's own logic (gateways, timers, forms, expressions, candidate units), not the domains'
records (a matter's rows, a plan's...), and a domain marker deploys as an inert property.
`ducha lint` is what checks markers against the handlers.
"""

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.config import Settings
from app.db import Database
from app.engine import Engine, Scheduler, SpecCache, StepTrace, WorkflowCache
from app.lint import Message, deploy_all, process_files, read_forms
from app.migrate import upgrade
from app.scenarios import files, runner
from app.scenarios.coverage import Measured, measure, read_diagram


@dataclass
class Report:
    """A whole run: deploy's errors, scenario verdicts, coverage by diagram."""

    deploy_errors: list[Message] = field(default_factory=list)
    results: list[runner.Result] = field(default_factory=list)
    coverage: list[Measured] = field(default_factory=list)
    min_coverage: float | None = None

    @property
    def below_minimum(self) -> list[Measured]:
        if self.min_coverage is None:
            return []
        return [m for m in self.coverage if m.flow_percent < self.min_coverage]

    @property
    def ok(self) -> bool:
        """No deploy error, no failed scenario, no diagram under the minimum coverage."""
        failed = any(not r.passed for r in self.results)
        return not (self.deploy_errors or failed or self.below_minimum)


def diagrams_and_scenarios(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The diagrams to deploy and the scenario files to run for `paths`: a folder gives its
    .dmn and .bpmn files and its `tests/*.yaml`; a scenario file, the files of the folder its
    `tests/` folder is in; a .bpmn file, itself."""
    diagrams: list[Path] = []
    scenarios: list[Path] = []
    for path in paths:
        if path.suffix in (".yaml", ".yml"):
            scenarios.append(path)
            folder = path.parent.parent if path.parent.name == "tests" else path.parent
            diagrams.extend(process_files([folder]))
        elif path.is_dir():
            diagrams.extend(process_files([path]))
            scenarios.extend(files.scenario_files([path]))
        else:
            diagrams.append(path)
    return list(dict.fromkeys(diagrams)), list(dict.fromkeys(scenarios))


def test(
    paths: list[Path],
    *,
    forms: list[Path] | None = None,
    max_bytes: int,
    min_coverage: float | None = None,
) -> Report:
    """Deploy, run every scenario of `paths`, measure coverage (see the module's docstring)."""
    diagram_paths, scenario_paths = diagrams_and_scenarios(paths)
    report = Report(min_coverage=min_coverage)
    traces: list[StepTrace] = []
    with tempfile.TemporaryDirectory(prefix="ducha-test-") as scratch:
        url = f"sqlite:///{scratch}/test.db"
        upgrade(url)
        settings = Settings(database_url=url, _env_file=None)
        database = Database(settings)
        try:
            engine = Engine(database, SpecCache(), WorkflowCache(0), tracer=traces.append)
            schemas = read_forms(diagram_paths, forms or [])
            _, messages = deploy_all(engine, diagram_paths, schemas, max_bytes)
            report.deploy_errors = [m for m in messages if m.severity == "error"]
            scheduler = Scheduler(engine, settings)
            for path in scenario_paths:
                report.results.extend(_run_file(engine, scheduler, path))
        finally:
            database.close()
    diagrams = [read_diagram(p) for p in diagram_paths if p.suffix != ".dmn"]
    report.coverage = measure(diagrams, traces)
    return report


def _run_file(engine: Engine, scheduler: Scheduler, path: Path) -> list[runner.Result]:
    try:
        scenarios = files.read(path)
    except files.ScenarioFileError as exc:  # the whole file is one failure, `file::*`
        message = str(exc).removeprefix(f"{path}::").removeprefix(f"{path}: ")
        return [runner.Result(str(path), "*", message)]
    return [runner.run(engine, scheduler, scenario) for scenario in scenarios]


def render(report: Report, fmt: str) -> str:
    """The report as text lines, or as one JSON document."""
    if fmt == "json":
        return json.dumps(_as_json(report), ensure_ascii=False, indent=2)
    lines = [m.text() for m in report.deploy_errors]
    for result in report.results:
        title = f"{result.file}::{result.name}"
        lines.append(f"{title}: passed" if result.passed else f"{title}: {result.failure}")
    lines.append("flow coverage:")
    for measured in report.coverage:
        lines.extend(_coverage_lines(measured))
    return "\n".join(lines)


def _coverage_lines(measured: Measured) -> list[str]:
    flows = len(measured.taken) + len(measured.missed)
    nodes = len(measured.reached) + len(measured.unreached)
    lines = [
        f"  {measured.diagram.path}: flows {len(measured.taken)}/{flows} "
        f"({measured.flow_percent:g}%), nodes {len(measured.reached)}/{nodes} "
        f"({measured.node_percent:g}%)"
    ]
    lines.extend(f"    flow not taken: {f.id} ({f.source} → {f.target})" for f in measured.missed)
    lines.extend(f"    node not reached: {element}" for element in measured.unreached)
    return lines


def summary(report: Report) -> str:
    """One line for standard error: how many passed, failed, and diagrams under the minimum."""
    failed = sum(not r.passed for r in report.results)
    text = f"{len(report.results) - failed} passed, {failed} failed"
    if report.deploy_errors:
        text += f", {len(report.deploy_errors)} deploy errors"
    if report.below_minimum:
        names = ", ".join(m.diagram.path.name for m in report.below_minimum)
        text += f"; flow coverage below {report.min_coverage:g}%: {names}"
    return text


def _as_json(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "deploy_errors": [asdict(m) for m in report.deploy_errors],
        "scenarios": [
            {
                "file": r.file,
                "name": r.name,
                "passed": r.passed,
                "step": r.step,
                "failure": r.failure,
            }
            for r in report.results
        ],
        "coverage": [m.as_dict() for m in report.coverage],
        "min_coverage": report.min_coverage,
    }
