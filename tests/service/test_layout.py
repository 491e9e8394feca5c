"""The test tree itself: pytest imports test modules by their base name (no packages), so two
test files of one name in different folders break collection of the whole run."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_files_have_unique_names():
    names = [p.name for p in TESTS.rglob("test_*.py") if "node_modules" not in p.parts]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert duplicates == []
