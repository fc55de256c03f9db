"""Charging operators (基础设施运营商), identified by their 9-character organisation code."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.validation import enum_value, pattern, text

# GB 11714 组织机构代码: 8 body characters and a check character (digit or X). T/CEC OperatorID.
OPERATOR_ID = re.compile(r"[0-9A-Z]{8}[0-9X]")
# GB 32100 统一社会信用代码: 18 characters from the set without I, O, S, V, Z.
USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


class OperatorStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXITED = "exited"  # 退出: kept for history, can no longer push


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str = ""
    email: str = ""
    role: str = ""


@dataclass(frozen=True, slots=True)
class Operator:
    operator_id: str
    name: str
    uscc: str | None = None
    status: OperatorStatus = OperatorStatus.ACTIVE
    contacts: tuple[Contact, ...] = field(default=())
    tel: str = ""
    reg_address: str = ""
    synthetic: bool = False

    def __post_init__(self) -> None:
        pattern("operator_id", self.operator_id, OPERATOR_ID, "9 位组织机构代码（GB 11714）", "9-char GB 11714 code")
        text("name", self.name, 100, required=True)
        pattern("uscc", self.uscc, USCC, "18 位统一社会信用代码（GB 32100）", "18-char GB 32100 USCC")
        if self.uscc and self.uscc[8:17] != self.operator_id:
            raise DomainValidationError(
                "uscc",
                self.uscc,
                f"第 9–17 位须等于 OperatorID {self.operator_id}",
                f"characters 9-17 equal to OperatorID {self.operator_id}",
            )
        object.__setattr__(self, "status", enum_value(OperatorStatus, "status", self.status))

    @property
    def may_push(self) -> bool:
        return self.status is OperatorStatus.ACTIVE
