"""Statutory deadlines of seed 三(一) and domain.md §5 (民法典 Art. 201–203 by analogy)."""

from datetime import date

import pytest

from app.supervision.calendar import WorkCalendar
from app.supervision.deadlines import (
    CountingRules,
    FollowUp,
    Periods,
    SourceType,
    add_days,
    add_months,
    completion_report_due,
    deadlines_for,
    extension_allowed,
    follow_up_due,
    warning_start,
)

S = SourceType
# A made-up 2027 schedule for tests only — NOT the State Council's (unpublished in our data).
TEST_2027_HOLIDAYS = [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)]


@pytest.fixture
def calendar() -> WorkCalendar:
    """Library data for 2026, provisional 2027 (nothing loaded: statutory holidays, weekends)."""
    return WorkCalendar()


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 2), 30, date(2026, 4, 1)),  # 民法典 Art. 201: start day not counted
        (date(2026, 1, 31), 30, date(2026, 3, 2)),
        (date(2026, 12, 12), 20, date(2027, 1, 1)),
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
    ],
)
def test_add_days(start: date, days: int, expected: date) -> None:
    assert add_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 8, 31), 3, date(2026, 11, 30)),  # Art. 202: no 31 Nov → month's last day
        (date(2026, 11, 29), 3, date(2027, 2, 28)),  # no 29 Feb 2027
        (date(2027, 11, 29), 3, date(2028, 2, 29)),  # leap year has it
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 3, 10), 6, date(2026, 9, 10)),  # corresponding day
        (date(2026, 10, 15), 3, date(2027, 1, 15)),  # across the year end
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("rules", "expected_days", "expected_months"),
    [
        (CountingRules(), date(2026, 4, 1), date(2026, 6, 2)),
        (CountingRules(count_start_day=True), date(2026, 3, 31), date(2026, 6, 1)),
    ],
)
def test_counting_rules_start_day(
    rules: CountingRules, expected_days: date, expected_months: date
) -> None:
    # 民法典 Art. 201 is the default; an office counting the start day can say so
    assert add_days(date(2026, 3, 2), 30, rules) == expected_days
    assert add_months(date(2026, 3, 2), 3, rules) == expected_months


@pytest.mark.parametrize(
    ("source", "assigned", "due", "rolled_from", "label"),
    [
        # seed 三(一): meetings and documents, report within 30 days
        (S.MEETING, date(2026, 3, 2), date(2026, 4, 1), None, "报告贯彻落实情况"),
        # …ending on 2026-10-03 in the National Day holiday → first working day 10-08 (Art. 203)
        (S.MEETING, date(2026, 9, 3), date(2026, 10, 8), date(2026, 10, 3), "报告贯彻落实情况"),
        # …ending on Saturday 2026-03-14 → Monday 03-16
        (S.DOCUMENT, date(2026, 2, 12), date(2026, 3, 16), date(2026, 3, 14), "报告贯彻落实情况"),
        # seed 三(一): leader instructions, finish and report within 30 days
        (S.LEADER_INSTRUCTION, date(2026, 3, 2), date(2026, 4, 1), None, "办结并报告办理情况"),
        # …ending on Sunday 2026-09-20, a swapped working day (调休): no roll
        (S.LEADER_INSTRUCTION, date(2026, 8, 21), date(2026, 9, 20), None, "办结并报告办理情况"),
        # …ending on Qingming Monday 2026-04-06 → 04-07
        (
            S.LEADER_INSTRUCTION,
            date(2026, 3, 7),
            date(2026, 4, 7),
            date(2026, 4, 6),
            "办结并报告办理情况",
        ),
        # seed 三(一): NPC suggestions, answer within 3 months
        (S.NPC_SUGGESTION, date(2026, 8, 31), date(2026, 11, 30), None, "答复代表"),
        # seed 三(一): CPPCC proposals, answer within 3 months
        (S.CPPCC_PROPOSAL, date(2026, 3, 10), date(2026, 6, 10), None, "答复提案人"),
        # …29 Nov + 3 months → 28 Feb 2027, a Sunday (provisional year) → 1 March
        (S.CPPCC_PROPOSAL, date(2026, 11, 29), date(2027, 3, 1), date(2027, 2, 28), "答复提案人"),
    ],
)
def test_single_deadline_sources(
    calendar: WorkCalendar,
    source: SourceType,
    assigned: date,
    due: date,
    rolled_from: date | None,
    label: str,
) -> None:
    [deadline] = deadlines_for(source, assigned, calendar=calendar)
    assert (deadline.due, deadline.rolled_from, deadline.label) == (due, rolled_from, label)
    assert deadline.basis == "calendar"
    assert deadline.rule.startswith("三(一)：")
    assert ("顺延" in deadline.rule) is (rolled_from is not None)


def test_rolled_deadline_as_variables(calendar: WorkCalendar) -> None:
    # the service feeds deadlines to BPMN as ISO date strings
    [deadline] = deadlines_for(S.MEETING, date(2026, 9, 3), calendar=calendar)
    variables = deadline.as_variables()
    assert variables["due"] == "2026-10-08"
    assert variables["rolled_from"] == "2026-10-03"
    assert variables["calendar_basis"] == "official"


def test_roll_forward_can_be_switched_off(calendar: WorkCalendar) -> None:
    rules = CountingRules(roll_to_workday=False)
    [deadline] = deadlines_for(S.MEETING, date(2026, 9, 3), calendar=calendar, rules=rules)
    assert (deadline.due, deadline.rolled_from) == (date(2026, 10, 3), None)


@pytest.mark.parametrize(
    ("assigned", "expected"),
    [
        # seed 三(一): annual key work, reports before 15 July, 15 October, 15 January (next year)
        (
            date(2026, 1, 1),
            [
                (date(2026, 7, 15), "第二季度进展报告"),
                (date(2026, 10, 15), "第三季度进展报告"),
                (date(2027, 1, 15), "第四季度进展报告"),
            ],
        ),
        (
            date(2026, 7, 14),
            [
                (date(2026, 7, 15), "第二季度进展报告"),
                (date(2026, 10, 15), "第三季度进展报告"),
                (date(2027, 1, 15), "第四季度进展报告"),
            ],
        ),
        # assigned on a report day: that report is not "ahead" any more
        (
            date(2026, 7, 15),
            [(date(2026, 10, 15), "第三季度进展报告"), (date(2027, 1, 15), "第四季度进展报告")],
        ),
        (
            date(2026, 8, 1),
            [(date(2026, 10, 15), "第三季度进展报告"), (date(2027, 1, 15), "第四季度进展报告")],
        ),
        (date(2026, 12, 20), [(date(2027, 1, 15), "第四季度进展报告")]),
        # the assignment year's cycle: 2027's reports, whose January one is in 2028
        (
            date(2027, 3, 1),
            [
                (date(2027, 7, 15), "第二季度进展报告"),
                (date(2027, 10, 15), "第三季度进展报告"),
                (date(2028, 1, 17), "第四季度进展报告"),  # 15 Jan 2028 is a Saturday
            ],
        ),
    ],
)
def test_annual_key_work_cycle(
    calendar: WorkCalendar, assigned: date, expected: list[tuple[date, str]]
) -> None:
    deadlines = deadlines_for(S.ANNUAL_KEY_WORK, assigned, calendar=calendar)
    assert [(d.due, d.label) for d in deadlines] == expected
    assert {d.kind for d in deadlines} == {"quarterly_report"}


@pytest.mark.parametrize(
    ("complex_npc", "due", "rule_start"),
    [
        (False, date(2026, 9, 10), "三(一)："),  # seed 三(一): 3 months
        (True, date(2027, 3, 10), "代表法"),  # 代表法 Art. 51: complex, 6 months
    ],
)
def test_npc_complex(calendar: WorkCalendar, complex_npc: bool, due: date, rule_start: str) -> None:
    assigned = date(2026, 6, 10) if not complex_npc else date(2026, 9, 10)
    [deadline] = deadlines_for(
        S.NPC_SUGGESTION, assigned, complex_npc=complex_npc, calendar=calendar
    )
    assert deadline.due == due
    assert deadline.kind == "reply_to_proposer"
    assert deadline.rule.startswith(rule_start)


@pytest.mark.parametrize(
    ("completed", "due", "rolled_from", "calendar_basis"),
    [
        # seed 三(一): report within 20 days after the year's handling is complete
        (date(2026, 11, 10), date(2026, 11, 30), None, "official"),
        (date(2026, 9, 13), date(2026, 10, 8), date(2026, 10, 3), "official"),
        # domain §5: 2027 is unpublished, but 1 January is New Year's Day by the national rules:
        # rolled past it and the weekend to Monday 4 January, flagged provisional
        (date(2026, 12, 12), date(2027, 1, 4), date(2027, 1, 1), "provisional"),
    ],
)
def test_completion_report(
    calendar: WorkCalendar,
    completed: date,
    due: date,
    rolled_from: date | None,
    calendar_basis: str,
) -> None:
    deadline = completion_report_due(completed, calendar=calendar)
    assert (deadline.due, deadline.rolled_from) == (due, rolled_from)
    assert (deadline.kind, deadline.calendar_basis) == ("completion_report", calendar_basis)
    assert deadline.label == "向交办单位报告办理情况"


def test_completion_report_after_2027_is_loaded(calendar: WorkCalendar) -> None:
    # the same date once a 2027 schedule is loaded: 1 Jan is a holiday, the report rolls to Monday
    calendar.load_year(2027, TEST_2027_HOLIDAYS, [], source="test schedule")
    deadline = completion_report_due(date(2026, 12, 12), calendar=calendar)
    assert (deadline.due, deadline.rolled_from) == (date(2027, 1, 4), date(2027, 1, 1))
    assert deadline.calendar_basis == "loaded"


@pytest.mark.parametrize(
    ("source", "explicit_due", "rule_start"),
    [
        # seed 三(一): major decisions report by the time limit they set — kept as given
        (S.MAJOR_DECISION, date(2026, 10, 3), "三(一)：对国务院和省政府重大决策部署"),
        (S.REFORM_DEPLOYMENT, date(2026, 6, 30), "三(一)：对国务院和省政府重大决策部署"),
        (S.OTHER, date(2026, 5, 20), "三(一)：对国务院和省政府重大决策部署"),
        # "一般在30日内": an instruction or document may set its own limit
        (S.LEADER_INSTRUCTION, date(2026, 3, 12), "三(一)：对省政府领导同志重要批示交办事项"),
        (S.DOCUMENT, date(2026, 4, 30), "三(一)：对省政府召开的重要会议、下发的重要文件"),
    ],
)
def test_explicit_deadline(
    calendar: WorkCalendar, source: SourceType, explicit_due: date, rule_start: str
) -> None:
    [deadline] = deadlines_for(
        source, date(2026, 3, 2), explicit_due=explicit_due, calendar=calendar
    )
    assert (deadline.due, deadline.rolled_from, deadline.kind) == (explicit_due, None, "report")
    assert deadline.rule.startswith(rule_start)


@pytest.mark.parametrize(
    ("source", "kwargs", "message"),
    [
        # seed 三(一): decisions without a computed rule need their deadline at registration
        (S.MAJOR_DECISION, {}, "explicit_due"),
        (S.REFORM_DEPLOYMENT, {}, "explicit_due"),
        (S.OTHER, {}, "explicit_due"),
        # fixed schedules do not take an explicit deadline
        (S.ANNUAL_KEY_WORK, {"explicit_due": date(2026, 5, 1)}, "refused"),
        (S.NPC_SUGGESTION, {"explicit_due": date(2026, 5, 1)}, "refused"),
        (S.MAJOR_DECISION, {"explicit_due": date(2026, 3, 1)}, "before the assignment date"),
        (S.CPPCC_PROPOSAL, {"complex_npc": True}, "NPC suggestions only"),
    ],
)
def test_deadlines_for_rejects(
    calendar: WorkCalendar, source: SourceType, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        deadlines_for(source, date(2026, 3, 2), calendar=calendar, **kwargs)  # type: ignore[arg-type]


def test_configured_periods_are_flagged(calendar: WorkCalendar) -> None:
    # domain §5 practice: CPPCC 5 months in some provinces — configurable, and shown as local
    periods = Periods(cppcc_reply_months=5)
    [deadline] = deadlines_for(
        S.CPPCC_PROPOSAL, date(2026, 3, 10), calendar=calendar, periods=periods
    )
    assert deadline.due == date(2026, 8, 10)
    assert deadline.rule.endswith("（本地配置）")


@pytest.mark.parametrize(
    ("today", "allowed"),
    [
        # seed 三(一): report reasons 提前, i.e. strictly before the due day
        (date(2026, 3, 31), True),
        (date(2026, 4, 1), False),  # on the due day itself: too late
        (date(2026, 4, 2), False),
    ],
)
def test_extension_allowed(today: date, allowed: bool) -> None:
    assert extension_allowed(date(2026, 4, 1), today) is allowed


@pytest.mark.parametrize(
    ("due", "window", "working_days", "expected"),
    [
        # domain §7: 3 working days on the official calendar, across National Day
        (date(2026, 10, 9), 3, True, date(2026, 9, 29)),
        (date(2026, 10, 12), 3, True, date(2026, 10, 8)),  # counts the swapped Saturday 10-10
        (date(2026, 3, 17), 3, True, date(2026, 3, 12)),  # across a weekend
        (date(2026, 10, 9), 3, False, date(2026, 10, 6)),  # calendar days
        (date(2026, 10, 9), 0, True, date(2026, 10, 9)),
        (date(2027, 1, 15), 3, True, date(2027, 1, 12)),  # provisional year
    ],
)
def test_warning_start(
    calendar: WorkCalendar, due: date, window: int, working_days: bool, expected: date
) -> None:
    assert (
        warning_start(due, window=window, working_days=working_days, calendar=calendar) == expected
    )


@pytest.mark.parametrize(
    ("kind", "start", "due", "basis"),
    [
        # domain §5 practice: "not our remit" within 3 working days (调休 Saturday counts)
        (FollowUp.REMIT_OBJECTION, date(2026, 9, 30), date(2026, 10, 10), "working"),
        (FollowUp.CO_UNIT_OPINION, date(2026, 8, 31), date(2026, 9, 30), "calendar"),  # 1 month
        (FollowUp.RE_REPLY, date(2026, 7, 3), date(2026, 10, 8), "calendar"),  # 10-03 rolls
        (FollowUp.REVIEW_APPLICATION, date(2026, 3, 2), date(2026, 4, 1), "calendar"),  # 条例 17
        (FollowUp.REVIEW_DECISION, date(2026, 4, 1), date(2026, 5, 6), "calendar"),  # 05-01…05
    ],
)
def test_follow_up_due(
    calendar: WorkCalendar, kind: FollowUp, start: date, due: date, basis: str
) -> None:
    deadline = follow_up_due(kind, start, calendar=calendar)
    assert (deadline.due, deadline.basis, deadline.kind) == (due, basis, kind.value)
