"""`ducha lint`: deploy's checks offline (issue 15, designer's toolkit) — what lint passes,
deploy takes; what deploy refuses, lint names as `file:element: message`, exit status 1."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from app.cli import main

BPMN = ROOT / "tests" / "engine" / "bpmn"
FORMS = ROOT / "tests" / "engine" / "forms"


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["lint", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_processes_pass_lint(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = lint(capsys, str(ROOT / "processes"))
    assert (status, out) == (0, ""), out
    assert "0 errors" in err


def test_a_caller_passes_once_its_callee_is_among_the_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # the caller sorts before its callee: lint deploys in rounds, as start-up does
    shutil.copy(BPMN / "calling_process.bpmn", tmp_path / "a_caller.bpmn")
    status, out, _ = lint(capsys, str(tmp_path / "a_caller.bpmn"))
    assert status == 0  # bound late: a warning, an error only under --strict
    assert out.startswith(f"{tmp_path / 'a_caller.bpmn'}:get_review: warning: calledElement:")
    assert "called process 'review_document' is not deployed yet" in out
    shutil.copy(BPMN / "called_review.bpmn", tmp_path / "z_callee.bpmn")
    status, out, _ = lint(capsys, str(tmp_path))
    assert (status, out) == (0, ""), out


def test_forms_come_from_the_folder_beside_or_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    diagram = str(BPMN / "user_task_form.bpmn")
    status, out, _ = lint(capsys, diagram)
    assert status == 1
    assert f"{diagram}:write_report: error: form 'report.json'" in out
    status, out, _ = lint(capsys, diagram, "--forms", str(FORMS))
    assert (status, out) == (0, ""), out


def test_an_unknown_domain_marker_is_an_error_as_at_deploy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = (ROOT / "processes" / "matter_look_back.bpmn").read_text(encoding="utf-8")
    assert 'name="matterStep" value="look_back_check"' in source
    broken = tmp_path / "look_back.bpmn"
    broken.write_text(
        source.replace('value="look_back_check"', 'value="look_back_chekc"'), encoding="utf-8"
    )
    shutil.copytree(ROOT / "processes" / "forms", tmp_path / "forms")
    status, out, _ = lint(capsys, str(broken), "--format", "json")
    assert status == 1
    (message,) = json.loads(out)
    assert message["element_id"] == "verify_implementation"
    assert message["severity"] == "error" and "look_back_chekc" in message["message"]


def test_not_well_formed_and_missing_files_are_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "cut.bpmn").write_text("<bpmn:definitions", encoding="utf-8")
    status, out, err = lint(capsys, str(tmp_path / "cut.bpmn"), str(tmp_path / "absent.bpmn"))
    assert status == 1
    lines = out.splitlines()
    assert f"{tmp_path / 'absent.bpmn'}: error: no such file" in lines
    assert any(line.startswith(f"{tmp_path / 'cut.bpmn'}: error:") for line in lines)
    assert "2 errors" in err


def test_warnings_are_printed_and_fail_only_under_strict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    diagram = str(BPMN / "dialect_camunda_review.bpmn")
    status, out, err = lint(capsys, diagram, "--forms", str(FORMS))
    assert status == 0
    assert f"{diagram}:review_report: warning: camunda:asyncBefore:" in out
    assert "0 errors" in err
    status, _, _ = lint(capsys, diagram, "--forms", str(FORMS), "--strict")
    assert status == 1


def test_decision_tables_are_deployed_before_the_diagrams_that_use_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    diagram = str(BPMN / "dmn_route_by_grade.bpmn")
    status, out, _ = lint(capsys, diagram)
    assert status == 1
    assert f"{diagram}:grade_score: error: decision 'dmn_grade' is not deployed" in out
    # the table named after the diagram still deploys first: .dmn before .bpmn
    status, out, _ = lint(capsys, diagram, str(BPMN / "dmn_grade.dmn"))
    assert (status, out) == (0, ""), out
    (tmp_path / "broken.dmn").write_text("<definitions/>", encoding="utf-8")
    status, out, _ = lint(capsys, str(tmp_path / "broken.dmn"))
    assert status == 1 and out.startswith(f"{tmp_path / 'broken.dmn'}")
