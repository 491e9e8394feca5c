"""Statutory deadlines (限期报告制度) — seed 三(一), domain.md §5.

"日" in the seed means calendar days. Counting follows 民法典 Art. 201–203 by analogy (configurable
through `CountingRules`): the start day is not counted; a period in months ends on the
corresponding day of the last month, or that month's last day; a last day that is not a working
day on the official calendar moves to the next working day. Dates set by an authority
(`explicit_due`) are kept as given.
"""

import calendar as stdlib_calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from app.supervision.calendar import Basis, WorkCalendar, default_calendar


class SourceType(StrEnum):
    """Where a matter comes from; decides which clause of seed 三(一) sets its deadlines."""

    MEETING = "meeting"
    DOCUMENT = "document"
    LEADER_INSTRUCTION = "leader_instruction"
    ANNUAL_KEY_WORK = "annual_key_work"
    NPC_SUGGESTION = "npc_suggestion"
    CPPCC_PROPOSAL = "cppcc_proposal"
    REFORM_DEPLOYMENT = "reform_deployment"
    MAJOR_DECISION = "major_decision"
    OTHER = "other"


@dataclass(frozen=True)
class CountingRules:
    """How periods are counted (民法典 Art. 201–203 by analogy)."""

    count_start_day: bool = False  # Art. 201: 开始的当日不计入
    roll_to_workday: bool = True  # Art. 203: 最后一日是法定休假日的，以休假日结束的次日为最后一日


@dataclass(frozen=True)
class Periods:
    """Period lengths: the seed's (三(一)) and practice values (domain.md §5), all configurable."""

    meeting_days: int = 30  # seed 三(一): 重要会议、重要文件，一般在30日内
    instruction_days: int = 30  # seed 三(一): 领导同志重要批示交办事项，一般在30日内
    npc_reply_months: int = 3  # seed 三(一): 交办后3个月内答复建议提案人
    npc_complex_reply_months: int = 6  # practice: 代表法 (2025) Art. 51, complex suggestions
    cppcc_reply_months: int = 3  # seed 三(一); some provinces allow 5, at most 6
    completion_report_days: int = 20  # seed 三(一): 办理任务完成后20日内
    remit_objection_workdays: int = 3  # practice: not our remit, within 3 working days
    co_unit_opinion_months: int = 1  # practice: co-operating unit's opinion to the lead unit
    re_reply_months: int = 3  # practice: proposer dissatisfied, answer again
    review_application_days: int = 30  # 条例 Art. 17: apply for review of a conclusion
    review_decision_days: int = 30  # 条例 Art. 17: the government decides on the review


DEFAULT_RULES = CountingRules()
DEFAULT_PERIODS = Periods()

# Seed 三(一): "每年7月15日、10月15日、1月15日前报告前一季度工作进展情况".
# (years after the assignment year, month, day, label). "Before 15 July" is taken as due ON 15 July;
# set QUARTERLY_DUE_OFFSET_DAYS = -1 to make the report due the day before.
QUARTERLY_REPORTS: tuple[tuple[int, int, int, str], ...] = (
    (0, 7, 15, "第二季度进展报告"),
    (0, 10, 15, "第三季度进展报告"),
    (1, 1, 15, "第四季度进展报告"),
)
QUARTERLY_DUE_OFFSET_DAYS = 0

RULE_MEETING = "三(一)：对省政府召开的重要会议、下发的重要文件，一般在{n}日内报告贯彻落实情况"
RULE_QUARTERLY = (
    "三(一)：对省政府确定的年度重点工作，"
    "一般在每年7月15日、10月15日、1月15日前报告前一季度工作进展情况"
)
RULE_INSTRUCTION = "三(一)：对省政府领导同志重要批示交办事项，一般在{n}日内办结并报告办理情况"
RULE_REPLY = "三(一)：对省人大代表建议和省政协提案，承办单位一般在交办后{n}个月内答复建议提案人"
RULE_REPLY_COMPLEX = "代表法（2025）第五十一条：涉及面广、处理难度大的代表建议，{n}个月内答复"
RULE_COMPLETION = "三(一)：在当年办理任务完成后{n}日内向交办单位报告办理情况"
RULE_EXPLICIT = "三(一)：对国务院和省政府重大决策部署贯彻落实情况，按规定时限报告"
RULE_OVERRIDE = "（本事项另定时限：{due}）"
RULE_ROLLED = "；末日{nominal}为休息日，依民法典第二百零三条（类推）顺延至{due}"
LOCALLY_CONFIGURED = "（本地配置）"


def cite(template: str, n: int, default: int) -> str:
    """A rule's text with its period filled in, flagged when it departs from the default."""
    return template.format(n=n) + (LOCALLY_CONFIGURED if n != default else "")


@dataclass(frozen=True)
class Deadline:
    """One obligation's due date, with the rule that produced it and how sure the calendar was."""

    kind: str  # report, quarterly_report, reply_to_proposer, completion_report, …
    due: date
    rule: str
    basis: Literal["calendar", "working"]
    calendar_basis: Basis
    label: str
    rolled_from: date | None = None
    # The period's last day before rolling off rest days (民法典 Art. 203); None when the date was
    # given or counted in working days. A new calendar for its year re-rolls it from here.
    nominal: date | None = None

    def as_variables(self) -> dict[str, str | None]:
        """The deadline as BPMN process variables (dates as ISO strings)."""
        return {
            "kind": self.kind,
            "due": self.due.isoformat(),
            "rule": self.rule,
            "basis": self.basis,
            "calendar_basis": self.calendar_basis,
            "label": self.label,
            "rolled_from": self.rolled_from.isoformat() if self.rolled_from else None,
        }


def add_days(start: date, days: int, rules: CountingRules = DEFAULT_RULES) -> date:
    """The last day of a `days`-day period from `start` (民法典 Art. 201: start day not counted)."""
    if days < 0:
        raise ValueError(f"a period cannot be negative: {days} days")
    return start + timedelta(days=days - (1 if rules.count_start_day else 0))


def add_months(start: date, months: int, rules: CountingRules = DEFAULT_RULES) -> date:
    """The last day of a `months`-month period (民法典 Art. 202: corresponding day or month end)."""
    if months < 0:
        raise ValueError(f"a period cannot be negative: {months} months")
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last_day = stdlib_calendar.monthrange(year, month + 1)[1]
    end = date(year, month + 1, min(start.day, last_day))
    return end - timedelta(days=1 if rules.count_start_day else 0)


def roll_forward(
    nominal: date, calendar: WorkCalendar, rules: CountingRules = DEFAULT_RULES
) -> date:
    """The period's real last day: the next working day if `nominal` is not (民法典 Art. 203)."""
    if not rules.roll_to_workday:
        return nominal
    return calendar.next_workday(nominal)


def _period_deadline(
    kind: str, label: str, rule: str, nominal: date, calendar: WorkCalendar, rules: CountingRules
) -> Deadline:
    """A calendar-day deadline ending on `nominal`, rolled forward off rest days."""
    due = roll_forward(nominal, calendar, rules)
    rolled = due != nominal
    if rolled:
        rule += RULE_ROLLED.format(nominal=nominal.isoformat(), due=due.isoformat())
    return Deadline(
        kind=kind,
        due=due,
        rule=rule,
        basis="calendar",
        calendar_basis=calendar.span_basis(nominal, due),
        label=label,
        rolled_from=nominal if rolled else None,
        nominal=nominal,
    )


def reroll(rule: str, nominal: date, calendar: WorkCalendar) -> Deadline:
    """A computed period ending on `nominal`, rolled again on `calendar` (its year's schedule was
    loaded since): the due day, the rule text and the basis anew; kind and label left empty."""
    base = rule.split(RULE_ROLLED.split("{", 1)[0], 1)[0]
    return _period_deadline("", "", base, nominal, calendar, DEFAULT_RULES)


@dataclass(frozen=True)
class _Context:
    """What every per-source rule needs besides the assignment date."""

    calendar: WorkCalendar
    rules: CountingRules
    periods: Periods
    complex_npc: bool


def meeting_report(assigned: date, ctx: _Context) -> list[Deadline]:
    """Seed 三(一): important meetings and documents, report implementation within 30 days."""
    n = ctx.periods.meeting_days
    nominal = add_days(assigned, n, ctx.rules)
    rule = cite(RULE_MEETING, n, DEFAULT_PERIODS.meeting_days)
    return [_period_deadline("report", "报告贯彻落实情况", rule, nominal, ctx.calendar, ctx.rules)]


def quarterly_reports(assigned: date, ctx: _Context) -> list[Deadline]:
    """Seed 三(一): annual key work, quarterly progress reports due 15 July, 15 October, 15 January.

    Returns the reports of the assignment year's cycle that fall after the assignment date.
    """
    result = []
    for years_after, month, day, label in QUARTERLY_REPORTS:
        nominal = date(assigned.year + years_after, month, day)
        nominal += timedelta(days=QUARTERLY_DUE_OFFSET_DAYS)
        if nominal > assigned:
            result.append(
                _period_deadline(
                    "quarterly_report", label, RULE_QUARTERLY, nominal, ctx.calendar, ctx.rules
                )
            )
    return result


def instruction_report(assigned: date, ctx: _Context) -> list[Deadline]:
    """Seed 三(一): a leader's instruction, finish and report within 30 days."""
    n = ctx.periods.instruction_days
    nominal = add_days(assigned, n, ctx.rules)
    rule = cite(RULE_INSTRUCTION, n, DEFAULT_PERIODS.instruction_days)
    return [
        _period_deadline("report", "办结并报告办理情况", rule, nominal, ctx.calendar, ctx.rules)
    ]


def npc_reply(assigned: date, ctx: _Context) -> list[Deadline]:
    """Seed 三(一): answer an NPC deputy within 3 months; 6 when complex (代表法 Art. 51)."""
    if ctx.complex_npc:
        n = ctx.periods.npc_complex_reply_months
        rule = cite(RULE_REPLY_COMPLEX, n, DEFAULT_PERIODS.npc_complex_reply_months)
    else:
        n = ctx.periods.npc_reply_months
        rule = cite(RULE_REPLY, n, DEFAULT_PERIODS.npc_reply_months)
    nominal = add_months(assigned, n, ctx.rules)
    return [
        _period_deadline("reply_to_proposer", "答复代表", rule, nominal, ctx.calendar, ctx.rules)
    ]


def cppcc_reply(assigned: date, ctx: _Context) -> list[Deadline]:
    """Seed 三(一): answer a CPPCC proposer within 3 months of assignment."""
    n = ctx.periods.cppcc_reply_months
    nominal = add_months(assigned, n, ctx.rules)
    rule = cite(RULE_REPLY, n, DEFAULT_PERIODS.cppcc_reply_months)
    return [
        _period_deadline("reply_to_proposer", "答复提案人", rule, nominal, ctx.calendar, ctx.rules)
    ]


_COMPUTED: dict[SourceType, Callable[[date, _Context], list[Deadline]]] = {
    SourceType.MEETING: meeting_report,
    SourceType.DOCUMENT: meeting_report,
    SourceType.LEADER_INSTRUCTION: instruction_report,
    SourceType.ANNUAL_KEY_WORK: quarterly_reports,
    SourceType.NPC_SUGGESTION: npc_reply,
    SourceType.CPPCC_PROPOSAL: cppcc_reply,
}
# "一般在30日内": the 30 days are a default that the meeting, document or instruction may replace.
OVERRIDABLE = frozenset({SourceType.MEETING, SourceType.DOCUMENT, SourceType.LEADER_INSTRUCTION})
EXPLICIT_ONLY = frozenset(
    {SourceType.REFORM_DEPLOYMENT, SourceType.MAJOR_DECISION, SourceType.OTHER}
)


def _explicit_rule(source: SourceType, explicit_due: date, periods: Periods) -> str:
    """The rule text of a deadline set at registration rather than computed."""
    if source in EXPLICIT_ONLY:
        return RULE_EXPLICIT
    if source == SourceType.LEADER_INSTRUCTION:
        general = cite(RULE_INSTRUCTION, periods.instruction_days, DEFAULT_PERIODS.instruction_days)
    else:
        general = cite(RULE_MEETING, periods.meeting_days, DEFAULT_PERIODS.meeting_days)
    return general + RULE_OVERRIDE.format(due=explicit_due.isoformat())


def explicit_deadline(
    source: SourceType,
    assigned: date,
    explicit_due: date,
    calendar: WorkCalendar,
    periods: Periods = DEFAULT_PERIODS,
) -> Deadline:
    """Seed 三(一) "按规定时限报告": the time limit set by the decision or instruction, as given."""
    if explicit_due < assigned:
        raise ValueError(
            f"explicit deadline {explicit_due.isoformat()} is before the assignment date "
            f"{assigned.isoformat()}"
        )
    label = "办结并报告办理情况" if source == SourceType.LEADER_INSTRUCTION else "按规定时限报告"
    return Deadline(
        kind="report",
        due=explicit_due,
        rule=_explicit_rule(source, explicit_due, periods),
        basis="calendar",
        calendar_basis=calendar.basis(explicit_due),
        label=label,
    )


def deadlines_for(
    source: SourceType,
    assigned: date,
    *,
    explicit_due: date | None = None,
    complex_npc: bool = False,
    calendar: WorkCalendar | None = None,
    rules: CountingRules | None = None,
    periods: Periods | None = None,
) -> list[Deadline]:
    """Seed 三(一): the report deadlines a matter of this source gets when assigned on `assigned`.

    `explicit_due` is required for reform deployments, major decisions and other matters, may
    replace the "generally 30 days" of meetings, documents and instructions, and is refused for
    annual key work and NPC/CPPCC items, whose schedules are fixed. `complex_npc` applies to NPC
    suggestions only.
    """
    source = SourceType(source)
    calendar = calendar or default_calendar()
    if complex_npc and source != SourceType.NPC_SUGGESTION:
        raise ValueError(f"complex_npc applies to NPC suggestions only, not to '{source}'")
    if explicit_due is not None:
        if source not in OVERRIDABLE | EXPLICIT_ONLY:
            raise ValueError(f"'{source}' deadlines follow seed 三(一); an explicit one is refused")
        return [
            explicit_deadline(source, assigned, explicit_due, calendar, periods or DEFAULT_PERIODS)
        ]
    if source in EXPLICIT_ONLY:
        raise ValueError(f"'{source}' matters need the deadline set at registration (explicit_due)")
    ctx = _Context(calendar, rules or DEFAULT_RULES, periods or DEFAULT_PERIODS, complex_npc)
    return _COMPUTED[source](assigned, ctx)


def completion_report_due(
    completed: date,
    *,
    calendar: WorkCalendar | None = None,
    rules: CountingRules | None = None,
    periods: Periods | None = None,
) -> Deadline:
    """Seed 三(一): report to the assigning unit within 20 days after the year's handling ends."""
    calendar = calendar or default_calendar()
    rules = rules or DEFAULT_RULES
    n = (periods or DEFAULT_PERIODS).completion_report_days
    nominal = add_days(completed, n, rules)
    rule = cite(RULE_COMPLETION, n, DEFAULT_PERIODS.completion_report_days)
    return _period_deadline(
        "completion_report", "向交办单位报告办理情况", rule, nominal, calendar, rules
    )


def extension_allowed(due: date, today: date) -> bool:
    """Seed 三(一) "提前…报告原因": an extension request must come strictly before the due day."""
    return today < due


def warning_start(
    due: date,
    *,
    window: int = 3,
    working_days: bool = True,
    calendar: WorkCalendar | None = None,
) -> date:
    """domain.md §7: the first day of the yellow window, `window` (working) days before `due`."""
    if window < 0:
        raise ValueError(f"warning window cannot be negative: {window}")
    if not working_days:
        return due - timedelta(days=window)
    return (calendar or default_calendar()).add_workdays(due, -window)


class FollowUp(StrEnum):
    """Practice deadlines of domain.md §5 that start from an event rather than an assignment."""

    REMIT_OBJECTION = "remit_objection"  # unit objects the item is not its remit (working days)
    CO_UNIT_OPINION = "co_unit_opinion"  # co-operating unit's opinion to the lead unit (months)
    RE_REPLY = "re_reply"  # proposer dissatisfied: handle and answer again (months)
    REVIEW_APPLICATION = "review_application"  # 条例 Art. 17: apply for review (days)
    REVIEW_DECISION = "review_decision"  # 条例 Art. 17: decide on the review (days)


_FOLLOW_UP_TEXT: dict[FollowUp, tuple[str, str]] = {
    FollowUp.REMIT_OBJECTION: ("提出不属本单位职责的意见", "省级规定：收到交办后{n}个工作日内提出"),
    FollowUp.CO_UNIT_OPINION: (
        "向主办单位提出协办意见",
        "省级规定：协办单位{n}个月内向主办单位提出意见",
    ),
    FollowUp.RE_REPLY: (
        "重新办理并再次答复",
        "省级规定：提出人不满意的，重新办理并在{n}个月内再次答复",
    ),
    FollowUp.REVIEW_APPLICATION: (
        "申请复核督查结论",
        "条例第十七条：收到督查结论之日起{n}日内申请复核",
    ),
    FollowUp.REVIEW_DECISION: (
        "作出复核决定",
        "条例第十七条：收到复核申请之日起{n}日内作出复核决定",
    ),
}


def _follow_up_length(kind: FollowUp, periods: Periods) -> int:
    """The configured length of a follow-up period, in its own unit."""
    return {
        FollowUp.REMIT_OBJECTION: periods.remit_objection_workdays,
        FollowUp.CO_UNIT_OPINION: periods.co_unit_opinion_months,
        FollowUp.RE_REPLY: periods.re_reply_months,
        FollowUp.REVIEW_APPLICATION: periods.review_application_days,
        FollowUp.REVIEW_DECISION: periods.review_decision_days,
    }[kind]


def follow_up_due(
    kind: FollowUp,
    start: date,
    *,
    calendar: WorkCalendar | None = None,
    rules: CountingRules | None = None,
    periods: Periods | None = None,
) -> Deadline:
    """domain.md §5 (practice; 条例 Art. 17): the deadline of a follow-up begun on `start`."""
    calendar = calendar or default_calendar()
    rules = rules or DEFAULT_RULES
    n = _follow_up_length(kind, periods or DEFAULT_PERIODS)
    label, template = _FOLLOW_UP_TEXT[kind]
    rule = cite(template, n, _follow_up_length(kind, DEFAULT_PERIODS))
    if kind == FollowUp.REMIT_OBJECTION:
        due = calendar.add_workdays(start, n)
        return Deadline(kind.value, due, rule, "working", calendar.span_basis(start, due), label)
    if kind in (FollowUp.CO_UNIT_OPINION, FollowUp.RE_REPLY):
        nominal = add_months(start, n, rules)
    else:
        nominal = add_days(start, n, rules)
    return _period_deadline(kind.value, label, rule, nominal, calendar, rules)
