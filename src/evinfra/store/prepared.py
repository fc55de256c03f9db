"""Core statements compiled once per dialect and run straight on the driver's connection.

The hub's writer runs a handful of small statements for every acknowledged notification. Through
``Connection.execute`` each one costs tens of microseconds of SQLAlchemy bookkeeping (cache key,
parameter processing, result wrapping) around a few microseconds of database work, and that overhead,
not SQLite or PostgreSQL, capped the hub's throughput. A :class:`Prepared` statement keeps what
SQLAlchemy is good at (one definition of the SQL and of each column type's conversions for every
dialect) and drops the per-call machinery: the SQL text, parameter order and type processors are
worked out once, and each call is one DBAPI ``execute`` in the session's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


class Prepared:
    """One statement for one dialect: ``run`` binds, executes and converts result rows."""

    __slots__ = ("_fixed", "_plan", "_positional", "_results", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self._positional = bool(compiled.positional)
        names: Sequence[str] = list(compiled.positiontup or ()) if self._positional else list(compiled.binds)
        binders: dict[str, Processor | None] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()
        }
        self._plan = [(name, binders[name]) for name in names]  # each parameter in order, with its conversion
        # Values fixed in the statement itself (``.limit(1)`` becomes a bound parameter)
        self._fixed = {n: b.value for n, b in compiled.binds.items() if b.value is not None and b.callable is None}
        columns = getattr(statement, "selected_columns", None) or getattr(statement, "_returning", None) or ()
        self._results: list[Processor | None] = [
            col.type.dialect_impl(dialect).result_processor(dialect, None) for col in columns
        ]

    def _args(self, params: Mapping[str, Any]) -> Any:
        if self._fixed:
            params = {**self._fixed, **params}
        if self._positional:
            return [params[n] if bind is None else bind(params[n]) for n, bind in self._plan]
        return {n: params[n] if bind is None else bind(params[n]) for n, bind in self._plan}

    def run(self, dbapi: Any, params: Mapping[str, Any]) -> Any:
        """Execute on a DBAPI connection; returns the DBAPI cursor (rowcount, raw rows)."""
        return dbapi.execute(self.sql, self._args(params))

    def one_or_none(self, dbapi: Any, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        cursor = self.run(dbapi, params)
        row = cursor.fetchone()
        cursor.close()  # SQLite: an unfinished statement (RETURNING) would otherwise stay active
        if row is None:
            return None
        return tuple(p(v) if p is not None else v for p, v in zip(self._results, row, strict=True))


class Statements:
    """A set of Core statements, prepared lazily per dialect (the store may run on either in one process)."""

    def __init__(self, **statements: ClauseElement) -> None:
        self._statements = statements
        self._prepared: dict[str, dict[str, Prepared]] = {}

    def for_dialect(self, dialect: Dialect) -> dict[str, Prepared]:
        prepared = self._prepared.get(dialect.name)
        if prepared is None:
            prepared = {name: Prepared(stmt, dialect) for name, stmt in self._statements.items()}
            self._prepared[dialect.name] = prepared
        return prepared


def driver_connection(session: Session) -> Any:
    """The DBAPI connection inside the session's transaction, after flushing pending ORM writes.

    Remembered for the session's innermost transaction: the writer asks for it twice per notification,
    and ``Session.connection()`` costs more than the statement it serves on SQLite. A new SAVEPOINT is a
    new transaction, so ``Session.connection()`` still runs once for it (that is what emits the SAVEPOINT).
    """
    session.flush()
    transaction = session.get_nested_transaction() or session.get_transaction()
    known = session.info.get(_DRIVER_KEY)
    if transaction is not None and known is not None and known[0] is transaction:
        return known[1]
    dbapi = session.connection().connection.driver_connection
    session.info[_DRIVER_KEY] = (session.get_nested_transaction() or session.get_transaction(), dbapi)
    return dbapi


_DRIVER_KEY = "evinfra.driver_connection"
