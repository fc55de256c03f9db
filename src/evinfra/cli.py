"""``evinfra`` command line: thin commands over the service layer."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from evinfra import __version__
from evinfra.config import Settings
from evinfra.store import migrate
from evinfra.store.engine import make_engine

app = typer.Typer(help="evinfra：山西省电动汽车充电基础设施监管与规划平台 / EV-charging platform", no_args_is_help=True)
db_app = typer.Typer(help="数据库 / store schema", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(soft_wrap=True)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console)


def _describe_store(settings: Settings) -> None:
    url = settings.resolved_database_url
    console.print(f"[bold]数据目录 / data directory:[/] {settings.ensure_data_dir()}")
    console.print(f"[bold]数据库 / store:[/] {make_engine(url).url.render_as_string(hide_password=True)}")


def _print_version(value: bool) -> None:
    if value:
        console.print(__version__)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="show the version and exit", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """evinfra command line."""


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """把数据库结构升级到最新 / apply the Alembic migrations."""
    settings = Settings()
    _describe_store(settings)
    with _progress() as progress:
        progress.add_task("升级数据库结构 / upgrading schema", total=None)
        migrate.upgrade(settings.resolved_database_url, revision)
    engine = make_engine(settings.resolved_database_url)
    console.print(f"[green]完成 / done:[/] schema at revision {migrate.current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """显示当前数据库版本 / show the schema revision."""
    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    current, head = migrate.current_revision(engine), migrate.head_revision()
    console.print(f"current={current} head={head}")
    if current != head:
        console.print("[yellow]需要升级：evinfra db upgrade / run `evinfra db upgrade`[/]")
        raise typer.Exit(1)


@app.command()
def info() -> None:
    """显示配置 / show where data lives and which store is used."""
    _describe_store(Settings())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (EVINFRA_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (EVINFRA_PORT)")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """启动 HTTP 服务 / serve the API (OpenAPI at /docs)."""
    import uvicorn

    settings = Settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"[bold green]evinfra {__version__}[/] http://{bind_host}:{bind_port}/  (OpenAPI: /docs)")
    uvicorn.run(
        "evinfra.api.asgi:app", host=bind_host, port=bind_port, workers=workers, log_level="info", access_log=False
    )


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="bind address (EVINFRA_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (EVINFRA_PORT)")] = None,
) -> None:
    """演示：建库并启动平台 / create the store and serve (the Shanxi scenario joins in a later release)."""
    settings = Settings()
    _describe_store(settings)
    with _progress() as progress:
        progress.add_task("准备数据库 / preparing the store", total=None)
        migrate.upgrade(settings.resolved_database_url)
    serve(host=host, port=port, workers=1)


if __name__ == "__main__":  # pragma: no cover
    app()
