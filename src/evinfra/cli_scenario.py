"""``evinfra scenario``: build the Shanxi reference scenario into the store (bulk load path)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from evinfra.bootstrap import bootstrap
from evinfra.config import Settings
from evinfra.scenario.assumptions import SNAPSHOTS
from evinfra.scenario.build import build_scenario
from evinfra.scenario.load import ScenarioConflict, load_scenario
from evinfra.store import migrate
from evinfra.store.rows import ScenarioRunRow

scenario_app = typer.Typer(help="山西参考场景 / the Shanxi reference scenario", no_args_is_help=True)
console = Console(soft_wrap=True)


def build_and_load(snapshot: int, seed: int) -> dict[str, int]:
    """Upgrade the store, build the scenario and load it, with a progress line per step."""
    settings = Settings()
    migrate.upgrade(settings.resolved_database_url)
    container = bootstrap(settings)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("构建场景 / building", total=None)

        def step(message: str) -> None:
            bar.update(task, description=message)

        scenario = build_scenario(snapshot, seed, step)
        return load_scenario(scenario, container.uow, container.master, container.clock(), step)


@scenario_app.command("build")
def build(
    snapshot: Annotated[int, typer.Option(help=f"year-end snapshot: {', '.join(map(str, SNAPSHOTS))}")] = 2025,
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same scenario", min=0)] = 1,
) -> None:
    """生成并写入参考场景（替换旧的模拟数据）/ build the scenario and bulk-load it (replaces a previous one)."""
    if snapshot not in SNAPSHOTS:
        console.print(f"[red]--snapshot 须为 {', '.join(map(str, SNAPSHOTS))} 之一 / snapshot must be one of those[/]")
        raise typer.Exit(1)
    started = time.perf_counter()
    try:
        summary = build_and_load(snapshot, seed)
    except ScenarioConflict as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    table = Table(f"场景 {snapshot} · seed {seed}", "数量 / rows")
    for name, count in summary.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    console.print(f"[green]完成 / done[/] in {time.perf_counter() - started:.1f} s — 所有模拟数据均标记 synthetic")


@scenario_app.command("info")
def info() -> None:
    """显示数据库中的场景 / show which scenario the store holds."""
    container = bootstrap(Settings())
    with container.new_uow() as uow:
        run = uow.session.scalars(select(ScenarioRunRow).order_by(ScenarioRunRow.pk.desc())).first()
        if run is None:
            console.print("数据库中没有参考场景：evinfra scenario build / no scenario loaded")
            raise typer.Exit(1)
        console.print(f"snapshot {run.snapshot} · seed {run.seed} · built {run.built_at:%Y-%m-%d %H:%M} UTC")
        for name, count in run.stats.items():
            console.print(f"  {name}: {count:,}")
