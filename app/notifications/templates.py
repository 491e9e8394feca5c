"""Messages rendered from editable Jinja2 templates, one file per kind and channel.

`<kind>.subject.txt` is the subject line, `<kind>.email.txt` the e-mail text, and
`<kind>.http.json` (else `default.http.json`) the JSON body POSTed to the IM/SMS gateway. A
directory set in `DUCHA_NOTIFICATIONS_TEMPLATES_DIR` is searched first: an office edits a copy of
a template there without touching the code.
"""

import json
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
)

BUILT_IN = Path(__file__).resolve().parent / "templates"


class TemplateProblem(Exception):
    """A template is missing, broken, or renders something that is not what its channel needs."""


class Templates:
    """The template set: the override directory first, then the built-in one."""

    def __init__(self, override: Path | None = None) -> None:
        loaders = [FileSystemLoader(str(override))] if override is not None else []
        self.env = Environment(
            loader=ChoiceLoader([*loaders, FileSystemLoader(str(BUILT_IN))]),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,  # plain text and JSON (values go through `tojson`)
        )

    def subject(self, kind: str, context: dict[str, Any]) -> str:
        """The one-line subject of a message."""
        text = self._render(f"{kind}.subject.txt", context)
        return " ".join(text.split())[:500]

    def text(self, kind: str, context: dict[str, Any]) -> str:
        """The message text (the e-mail body)."""
        return self._render(f"{kind}.email.txt", context).strip() + "\n"

    def http_body(self, kind: str, context: dict[str, Any]) -> str:
        """The gateway's JSON body, checked to be JSON, compact and readable (UTF-8)."""
        name = f"{kind}.http.json"
        if not self._exists(name):
            name = "default.http.json"
        rendered = self._render(name, context)
        try:
            value = json.loads(rendered)
        except ValueError as exc:
            raise TemplateProblem(f"template {name} did not render JSON: {exc}") from exc
        return json.dumps(value, ensure_ascii=False)

    def _exists(self, name: str) -> bool:
        try:
            self.env.get_template(name)
        except TemplateNotFound:
            return False
        return True

    def _render(self, name: str, context: dict[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(context)
        except TemplateError as exc:
            raise TemplateProblem(f"template {name}: {exc}") from exc
