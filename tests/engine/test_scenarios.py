"""`ducha test`: scenario files beside the diagrams, run through the engine's own use cases, with
flow coverage (issue 15, designer's toolkit) — and every diagram of processes/ covered whole."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from app.cli import main

BPMN = ROOT / "tests" / "engine" / "bpmn"
FORMS = ROOT / "tests" / "engine" / "forms"

WRITE = """
      - complete: write_report
        data: {title: "Inspection", pages: 3, urgent: false}"""

ON_TIME = f"""
  on_time:
    business_key: R-1
    steps:{WRITE}
        expect: {{ready: [review_report]}}
      - advance: P2D
        expect: {{ready: [review_report]}}
      - complete: review_report
        expect: {{ready: [], status: running}}
      - message: report_archived
        correlation: R-1
        payload: {{archive_no: "A-7"}}
        expect:
          end: end
          path: [start, write_report, is_urgent, review_report, reviewed, archived, end]
          variables: {{archive_no: "A-7", pages: 3}}
"""

LATE = f"""
  late_report:
    steps:{WRITE}
      - advance: P3D
        expect: {{ready: [review_report]}}
"""

FAST_AND_URGED = """
  fast_tracked:
    business_key: R-2
    steps:
      - complete: write_report
        data: {title: "Urgent", pages: 1, urgent: true}
        expect: {passed: [fast_track], variables: {fast: true}}
      - message: report_archived
        correlation: R-2
        expect: {end: end}
  urged:
    steps:
      - complete: write_report
        data: {title: "Late", pages: 1, urgent: false}
      - advance_to: "2026-01-08T09:00:00+08:00"
        expect: {ready: [urge_report], passed: [review_late]}
      - complete: urge_report
        expect: {passed: [urge_report, reviewed], not_passed: [review_report]}
"""


def folder(tmp_path: Path, *scenarios: str) -> Path:
    """A diagrams folder: sc_report.bpmn, its form, and one scenario file of `scenarios`."""
    shutil.copy(BPMN / "sc_report.bpmn", tmp_path / "sc_report.bpmn")
    (tmp_path / "forms").mkdir()
    shutil.copy(FORMS / "report.json", tmp_path / "forms" / "report.json")
    (tmp_path / "tests").mkdir()
    text = "process: sc_report\nscenarios:" + "".join(scenarios)
    (tmp_path / "tests" / "report.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["test", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_passing_and_a_failing_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    where = folder(tmp_path, ON_TIME, LATE)
    status, out, err = run(capsys, str(where))
    assert status == 1
    lines = out.splitlines()
    scenarios = where / "tests" / "report.yaml"
    assert f"{scenarios}::on_time: passed" in lines
    assert (
        f"{scenarios}::late_report: step 2 (advance P3D): "
        "expected ready ['review_report'], got ['urge_report']"
    ) in lines
    assert "1 passed, 1 failed" in err


def test_data_is_validated_against_the_form(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = """
  no_pages:
    steps:
      - complete: write_report
        data: {title: "Inspection"}
"""
    status, out, _ = run(capsys, str(folder(tmp_path, bad)))
    assert status == 1
    assert "::no_pages: step 1 (complete write_report): submitted data is invalid: pages:" in out


def test_coverage_names_the_branches_no_scenario_took(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    where = folder(tmp_path, ON_TIME)
    status, out, _ = run(capsys, str(where), "--format", "json")
    assert status == 0
    (measured,) = json.loads(out)["coverage"]
    flows = measured["flows"]
    assert (flows["total"], flows["taken"], flows["percent"]) == (10, 6, 60.0)
    assert sorted(f["id"] for f in flows["missed"]) == [
        "fast_tracked",
        "to_fast_track",
        "to_urge_report",
        "urged",
    ]
    assert sorted(measured["nodes"]["missed"]) == ["fast_track", "review_late", "urge_report"]
    status, _, err = run(capsys, str(where), "--min-coverage", "80")
    assert status == 1
    assert "flow coverage below 80%: sc_report.bpmn" in err


def test_every_branch_taken_is_full_coverage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    where = folder(tmp_path, ON_TIME, FAST_AND_URGED)
    status, out, _ = run(capsys, str(where), "--min-coverage", "100")
    assert status == 0, out
    assert f"{where / 'sc_report.bpmn'}: flows 10/10 (100%), nodes 10/10 (100%)" in out


def test_json_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, str(folder(tmp_path, ON_TIME, LATE)), "--format", "json")
    assert status == 1
    report = json.loads(out)
    assert report["ok"] is False and report["deploy_errors"] == []
    on_time, late = report["scenarios"]
    assert on_time == {
        "file": str(tmp_path / "tests" / "report.yaml"),
        "name": "on_time",
        "passed": True,
        "step": None,
        "failure": None,
    }
    assert (late["passed"], late["step"]) == (False, 2)
    assert "got ['urge_report']" in late["failure"]


def test_a_mistake_in_the_file_is_a_failure_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    unknown = """
  signalled:
    steps:
      - signal: report_lost
"""
    status, out, _ = run(capsys, str(folder(tmp_path, unknown)))
    assert status == 1
    assert out.startswith(
        f"{tmp_path / 'tests' / 'report.yaml'}::*: signalled: step 1: "
        "a step does exactly one of complete, advance, advance_to, message, expect; "
        "got ['signal']"
    )


def test_processes_scenarios_pass_and_take_every_flow(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(
        capsys, str(ROOT / "processes"), "--format", "json", "--min-coverage", "100"
    )
    report = json.loads(out)
    failed = [s for s in report["scenarios"] if not s["passed"]]
    assert failed == []
    missed = {
        Path(m["file"]).name: [f["id"] for f in m["flows"]["missed"]]
        for m in report["coverage"]
        if m["flows"]["percent"] < 100
    }
    assert missed == {}
    assert len(report["coverage"]) == len(list((ROOT / "processes").glob("*.bpmn")))
    assert status == 0 and report["ok"]
