"""The console's API client is generated from the service's OpenAPI document: a route or schema
changed without `make openapi` fails here, naming the command that brings the client up to date."""

import difflib
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from app.cli import openapi_document

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DOCUMENT = WEB / "src" / "api" / "openapi.json"
TYPES = WEB / "src" / "api" / "schema.d.ts"
GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"
REGENERATE = (
    "run `make openapi` (or `ducha openapi --output web/src/api/openapi.json"
    " && cd web && npm run openapi:types`) and commit the result"
)


def _check_same(name: str, committed: str, generated: str) -> None:
    """Fail with the command to run and the first lines that differ (not the whole file)."""
    if committed == generated:
        return
    diff = difflib.unified_diff(
        committed.splitlines(), generated.splitlines(), "committed", "generated", lineterm="", n=1
    )
    excerpt = "\n".join(line for _, line in zip(range(30), diff, strict=False))
    pytest.fail(f"{name} is stale: {REGENERATE}\n{excerpt}", pytrace=False)


def test_committed_openapi_document_is_the_apps() -> None:
    committed = DOCUMENT.read_text(encoding="utf-8")
    _check_same("web/src/api/openapi.json", committed, openapi_document())


def test_openapi_document_is_stable() -> None:
    """Two builds give the same bytes: regeneration after a merge is a clean diff."""
    first = openapi_document()
    assert first == openapi_document()
    assert list(json.loads(first)["paths"]) == sorted(json.loads(first)["paths"])


def _generator_command(output: Path) -> list[str]:
    """package.json's `openapi:types` script, writing to `output` instead of schema.d.ts."""
    script = json.loads((WEB / "package.json").read_text(encoding="utf-8"))["scripts"]
    words = shlex.split(script["openapi:types"])
    assert words[0] == "openapi-typescript" and "-o" in words
    words[words.index("-o") + 1] = str(output)
    return [str(GENERATOR), *words[1:]]


def test_committed_types_are_generated_from_the_document(tmp_path: Path) -> None:
    if not GENERATOR.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{GENERATOR} is missing: the CI runs `npm ci` in web/ before the tests")
        pytest.skip("web/node_modules is absent (run `cd web && npm ci`)")
    output = tmp_path / "schema.d.ts"
    subprocess.run(
        _generator_command(output), cwd=WEB, check=True, capture_output=True, timeout=120
    )
    committed = TYPES.read_text(encoding="utf-8")
    _check_same("web/src/api/schema.d.ts", committed, output.read_text(encoding="utf-8"))
