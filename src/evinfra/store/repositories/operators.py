from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evinfra.domain.operator import Contact, Operator, OperatorStatus
from evinfra.store.rows import OperatorRow


class OperatorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, operator: Operator, now: datetime) -> None:
        self.session.add(
            OperatorRow(
                operator_id=operator.operator_id,
                name=operator.name,
                uscc=operator.uscc,
                status=operator.status.value,
                tel=operator.tel,
                reg_address=operator.reg_address,
                contacts=[asdict(c) for c in operator.contacts],
                synthetic=operator.synthetic,
                created_at=now,
                updated_at=now,
            )
        )
        self.session.flush()

    def get(self, operator_id: str) -> Operator | None:
        row = self.session.get(OperatorRow, operator_id)
        return None if row is None else _to_domain(row)

    def list(self) -> list[Operator]:
        rows = self.session.scalars(select(OperatorRow).order_by(OperatorRow.operator_id))
        return [_to_domain(r) for r in rows]

    def set_status(self, operator_id: str, status: OperatorStatus, now: datetime) -> bool:
        row = self.session.get(OperatorRow, operator_id)
        if row is None:
            return False
        row.status = status.value
        row.updated_at = now
        self.session.flush()
        return True


def _to_domain(row: OperatorRow) -> Operator:
    return Operator(
        operator_id=row.operator_id,
        name=row.name,
        uscc=row.uscc,
        status=OperatorStatus(row.status),
        contacts=tuple(Contact(**c) for c in row.contacts or ()),
        tel=row.tel,
        reg_address=row.reg_address,
        synthetic=row.synthetic,
    )
