"""``evinfra pull``: fetch station info and connector status from the operators' CPO endpoints (T/CEC 102 query_*).

Registered in :mod:`evinfra.cli` as ``app.add_typer(pull_app, name="pull")``. Which operators are pulled, and
with which keys and base URL, is configured per operator with ``evinfra operator set-pull``.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evinfra.bootstrap import Container, bootstrap
from evinfra.config import Settings
from evinfra.ingest.pull import PullScheduler, SyncOutcome
from evinfra.ingest.pull_sink import PullSink, build_targets, close_targets
from evinfra.ingest.pull_state import StorePullState
from evinfra.store.runner_lock import AlreadyRunning, single_runner

__all__ = ["pull_app"]

pull_app = typer.Typer(help="从运营商拉取数据 / pull from the operators' CPO endpoints (query_*)", no_args_is_help=True)
console = Console(soft_wrap=True)

OperatorsOption = Annotated[
    list[str] | None, typer.Option("--operator", help="只拉取这些运营商 / only these OperatorIDs (repeatable)")
]


def _outcomes_table(outcomes: Sequence[SyncOutcome], sink: PullSink) -> Table:
    table = Table("OperatorID", "结果 / result", "站点 / stations", "状态 / statuses", "下次 / next due (UTC)")
    for o in outcomes:
        result = "[green]ok[/]" + (" (full)" if o.full else "") if o.ok else f"[red]failed[/] {o.error or ''}"
        table.add_row(o.operator_id, result, str(o.stations), str(o.statuses), o.next_due.strftime("%Y-%m-%d %H:%M:%S"))
    rejected = sink.counts["stations_rejected"] + sink.counts["statuses_rejected"]
    if rejected:
        table.caption = f"{rejected} 条被拒绝，见数据质量 / items rejected, see /api/v1/quality"
    return table


@pull_app.command("run-once")
def run_once(operators: OperatorsOption = None) -> None:
    """拉取一次所有已配置的运营商 / sync every configured operator once (exit 1 if any sync failed).

    Always a full sync, whatever ``pull_state`` says, and ``pull_state`` is left alone (``pull run`` owns it).
    """
    c = bootstrap(Settings())
    sink = PullSink(c.uow, c.regions, c.clock)
    targets = build_targets(c, sink=sink, operator_ids=operators)
    try:
        if not targets:
            console.print(
                "没有可拉取的运营商：请先 evinfra operator set-pull / no active operator is configured for pull"
            )
            return
        outcomes = PullScheduler(targets, clock=c.clock).run_once(c.clock())
    finally:
        close_targets(targets)
        c.engine.dispose()
    console.print(_outcomes_table(outcomes, sink))
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@pull_app.command("run")
def run(
    operators: OperatorsOption = None,
    interval: Annotated[int, typer.Option("--interval", min=10, help="seconds between syncs of one operator")] = 300,
    rounds: Annotated[int, typer.Option("--rounds", min=0, help="stop after this many rounds (0 = until stopped)")] = 0,
) -> None:
    """定时拉取，直到 Ctrl-C / SIGTERM / sync on a schedule until interrupted; failures back off (30 s … 30 min).

    Targets are read once at start: restart after ``operator set-pull`` or a suspension. Each operator's state
    (last successful sync, back-off, next due time, known stations) is kept in the table ``pull_state``, so a
    restart resumes: incremental from the last successful sync, due when it was due, with the back-off kept.
    A second ``pull run`` on the same database refuses to start.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    c = bootstrap(Settings())
    try:  # pull_state has one owner: a second scheduler would double every pull and race the first
        with single_runner(c.engine, "pull-run"):
            _run(c, operators, interval, rounds)
    except AlreadyRunning as exc:
        console.print(
            f"[red]另一个 evinfra pull run 已在此数据库上运行（{exc.holder}）/ "
            f"another `evinfra pull run` is already running on this database ({exc.holder})[/]"
        )
        raise typer.Exit(1) from None
    finally:
        c.engine.dispose()  # after the lock's connection is back in the pool


def _run(c: Container, operators: list[str] | None, interval: int, rounds: int) -> None:
    sink = PullSink(c.uow, c.regions, c.clock)
    targets = build_targets(c, sink=sink, operator_ids=operators)
    if not targets:
        console.print("没有可拉取的运营商：请先 evinfra operator set-pull / no active operator is configured for pull")
        raise typer.Exit(1)
    scheduler = PullScheduler(
        targets, interval=timedelta(seconds=interval), clock=c.clock, state_store=StorePullState(c.uow)
    )
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        console.print(f"收到信号 {signum}，本轮结束后停止 / stopping after this round")
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    console.print(f"拉取 {len(targets)} 家运营商，每 {interval} 秒 / pulling {len(targets)} operators")
    done = 0
    try:
        while not stop.is_set():
            outcomes = scheduler.run_once(c.clock())
            if outcomes:
                console.print(_outcomes_table(outcomes, sink))
                done += 1
                if rounds and done >= rounds:
                    break
            wake = scheduler.next_wakeup()
            delay = 0.0 if wake is None else (wake - c.clock()).total_seconds()
            stop.wait(min(max(delay, 0.0), 60.0))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        close_targets(targets)
