"""Who is acting: an authenticated person with a unit and roles."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of the platform (domain.md §2); the README's table says what each may do."""

    ADMIN = "admin"
    PROCESS_DESIGNER = "process_designer"
    SUPERVISION_OFFICE = "supervision_office"  # 督查室工作人员
    OFFICE_HEAD = "office_head"  # 督查室负责人
    LEADER = "leader"  # 政府领导
    DIVISION = "division"  # 办公厅业务处室
    UNIT_HANDLER = "unit_handler"  # 承办人
    UNIT_HEAD = "unit_head"  # 单位负责人
    EVALUATOR = "evaluator"  # 第三方评估机构
    DEPUTY = "deputy"  # 人大代表、政协委员、参事
    PERSONNEL = "personnel"  # 组织人事部门 (reads scores)
    AUDITOR = "auditor"  # read-only, everything in scope
    WORKER = "worker"  # an external system doing BPMN service tasks (external tasks)


KNOWN_ROLES = frozenset(r.value for r in Role)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    sub: str
    name: str
    unit: str
    roles: frozenset[str]
    address: str | None = None

    def has(self, *roles: Role) -> bool:
        """True when the caller holds any of `roles`."""
        return any(role.value in self.roles for role in roles)

    @property
    def label(self) -> str:
        """How the caller appears in assignees and history."""
        return self.sub
