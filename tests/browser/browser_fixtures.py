"""The browser tests' usual fixtures: the service on SQLite with the demo data, and a Chromium page
(a test file that needs another service — OIDC, one shared per module — defines its own).

A plugin of tests/conftest.py (`pytest_plugins`), not a conftest of its own: the tests import the
top-level conftest by name, which a second `conftest` module would shadow."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser.browser_helpers import chromium, console_service, require_browser
from serviceproc import ServiceProcess


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceProcess]:
    require_browser()
    with console_service(tmp_path) as running:
        yield running


@pytest.fixture
def page(service: ServiceProcess, tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path) as browser_page:
        yield browser_page
