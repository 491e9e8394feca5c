"""民意调查 (seed 四(四)): read a survey CSV and aggregate its answers — pure functions.

The CSV has the columns `respondent`, `channel` (questionnaire | phone | web), then one column
per question. Excel in China saves CSV as GB18030 (GBK); other tools write UTF-8, with or
without a byte-order mark: all three are read.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

from app.kit.errors import InvalidData

CHANNELS = ("questionnaire", "phone", "web")
CHANNEL_NAMES = {"questionnaire": "问卷", "phone": "电话", "web": "网络"}
REQUIRED = ("respondent", "channel")
SATISFIED = ("满意", "基本满意")
SATISFACTION_SCALE = frozenset({"满意", "基本满意", "不满意"})
MAX_ERRORS = 50


@dataclass(frozen=True)
class Survey:
    """A decoded, validated survey file."""

    encoding: str
    questions: list[str]
    responses: list[dict[str, str]]


def decode(raw: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (with or without BOM), else GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    raise InvalidData(
        "the file is neither UTF-8 nor GB18030 text",
        errors=[{"field": "file", "message": "unreadable encoding"}],
    )


def parse(raw: bytes, *, max_rows: int) -> Survey:
    """Validate a survey CSV; 422 names each bad cell as `row N, column X` (the header is row 1)."""
    text, encoding = decode(raw)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InvalidData("the file is empty", errors=[{"field": "file", "message": "no rows"}])
    header = [h.strip() for h in rows[0]]
    _check_header(header)
    if len(rows) - 1 > max_rows:
        message = f"{len(rows) - 1} answer rows; at most {max_rows} are allowed"
        raise InvalidData(message, errors=[{"field": "file", "message": message}])
    if len(rows) == 1:
        raise InvalidData(
            "the file has no answers", errors=[{"field": "row 2", "message": "no answer rows"}]
        )
    responses, errors = [], []
    for number, row in enumerate(rows[1:], start=2):
        response, problems = _row(header, row, number)
        responses.append(response)
        errors.extend(problems)
    if errors:
        raise InvalidData(
            f"the survey file has {len(errors)} problem(s)", errors=errors[:MAX_ERRORS]
        )
    return Survey(encoding, header[2:], responses)


def _check_header(header: list[str]) -> None:
    errors = [
        {"field": f"row 1, column {name}", "message": "required column is missing"}
        for name in REQUIRED
        if name not in header
    ]
    if not errors and header[:2] != list(REQUIRED):
        errors.append(
            {"field": "row 1", "message": "the first columns must be respondent, channel"}
        )
    for index, name in enumerate(header, start=1):
        if not name:
            errors.append({"field": f"row 1, column {index}", "message": "empty column name"})
    seen = Counter(header)
    errors.extend(
        {"field": f"row 1, column {name}", "message": "duplicate column"}
        for name, n in seen.items()
        if n > 1 and name
    )
    if not errors and len(header) < 3:
        errors.append({"field": "row 1", "message": "no question columns"})
    if errors:
        raise InvalidData("the survey file's header is invalid", errors=errors)


def _row(header: list[str], row: list[str], number: int) -> tuple[dict[str, str], list[dict]]:
    if len(row) > len(header):
        return {}, [
            {"field": f"row {number}", "message": f"{len(row)} cells, header has {len(header)}"}
        ]
    cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
    response = dict(zip(header, cells, strict=True))
    problems = []
    if not response["respondent"]:
        problems.append({"field": f"row {number}, column respondent", "message": "empty"})
    if response["channel"] not in CHANNELS:
        problems.append(
            {
                "field": f"row {number}, column channel",
                "message": f"'{response['channel']}' is not one of {', '.join(CHANNELS)}",
            }
        )
    return response, problems


def aggregate(questions: list[str], responses: list[dict[str, str]]) -> dict[str, Any]:
    """Counts per channel and per answer of each question; the satisfaction rate of questions
    answered on the 满意 / 基本满意 / 不满意 scale ((满意 + 基本满意) / answers, in %)."""
    per_question = []
    for question in questions:
        answers = Counter(r[question] for r in responses if r.get(question))
        total = sum(answers.values())
        item: dict[str, Any] = {
            "question": question,
            "answered": total,
            "answers": dict(answers.most_common()),
            "satisfaction_rate": None,
        }
        if total and set(answers) <= SATISFACTION_SCALE:
            item["satisfaction_rate"] = round(100 * sum(answers[a] for a in SATISFIED) / total, 1)
        per_question.append(item)
    channels = Counter(r["channel"] for r in responses)
    return {
        "respondents": len(responses),
        "channels": {c: channels.get(c, 0) for c in CHANNELS},
        "questions": per_question,
    }
