"""``evinfra`` command line: thin commands over the service layer."""

from __future__ import annotations

import json
import os
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from evinfra import __version__
from evinfra.access import create_api_key, revoke_api_key
from evinfra.bootstrap import Container, bootstrap
from evinfra.cli_import import import_app
from evinfra.cli_pull import pull_app
from evinfra.cli_scenario import scenario_app
from evinfra.config import Settings
from evinfra.domain.errors import DomainValidationError
from evinfra.domain.operator import Operator, OperatorStatus
from evinfra.ingest.errors import OperatorExists, UnknownOperator
from evinfra.ingest.keyring import key_set_to_wire
from evinfra.ingest.registry import configure_pull, onboard_operator, rotate_keys, set_profile
from evinfra.ingest.services import set_operator_status
from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.profiles import PROFILES, STANDARD
from evinfra.store import migrate
from evinfra.store.engine import make_engine

app = typer.Typer(help="evinfra：山西省电动汽车充电基础设施监管与规划平台 / EV-charging platform", no_args_is_help=True)
db_app = typer.Typer(help="数据库 / store schema", no_args_is_help=True)
app.add_typer(db_app, name="db")
operator_app = typer.Typer(help="运营商接入 / operator onboarding (T/CEC 102 keys)", no_args_is_help=True)
app.add_typer(operator_app, name="operator")
apikey_app = typer.Typer(help="API 密钥 / API keys for the supervision API", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
app.add_typer(pull_app, name="pull")
app.add_typer(scenario_app, name="scenario")
app.add_typer(import_app, name="import")
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

    from evinfra.ingest.writer import writer_for_workers

    settings = Settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    writer = writer_for_workers(settings.writer, settings.resolved_database_url, workers)
    if writer != settings.writer:
        os.environ["EVINFRA_WRITER"] = writer  # the workers read their settings from the environment
    console.print(f"[bold green]evinfra {__version__}[/] http://{bind_host}:{bind_port}/  (OpenAPI: /docs)")
    uvicorn.run(
        "evinfra.api.asgi:app", host=bind_host, port=bind_port, workers=workers, log_level="info", access_log=False
    )


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="bind address (EVINFRA_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (EVINFRA_PORT)")] = None,
    snapshot: Annotated[int, typer.Option(help="scenario snapshot year (built on first use)")] = 2025,
    seed: Annotated[int, typer.Option(help="scenario seed", min=0)] = 1,
    live_operators: Annotated[int, typer.Option(help="operators pushing live", min=1, max=240)] = 5,
    live_stations: Annotated[int, typer.Option(help="stations per live operator", min=1, max=2000)] = 40,
    speed: Annotated[float, typer.Option(help="simulated seconds per real second (1 = real time)", min=1)] = 1.0,
    duration: Annotated[float | None, typer.Option(help="stop after N real seconds (default: until Ctrl-C)")] = None,
) -> None:
    """演示：山西参考场景 + 模拟运营商通过 T/CEC 102 实时推送 / the Shanxi scenario with operators pushing live."""
    from evinfra.api.app import create_app
    from evinfra.cli_scenario import build_and_load
    from evinfra.scenario.demo import demo_api_key, loaded_scenario, run_demo
    from evinfra.scenario.demo import live_operators as pick_live

    settings = Settings()
    _describe_store(settings)
    with _progress() as progress:
        progress.add_task("准备数据库 / preparing the store", total=None)
        migrate.upgrade(settings.resolved_database_url)
    container = bootstrap(settings)
    if loaded_scenario(container) != (snapshot, seed):
        console.print(f"构建参考场景 {snapshot}（首次约需半分钟）/ building the {snapshot} scenario (first run only)")
        build_and_load(snapshot, seed)
    else:
        console.print(f"沿用已有参考场景 {snapshot} · seed {seed} / reusing the scenario in the store")
    sims = pick_live(container, live_operators, live_stations)
    key = demo_api_key(container)
    bind_host, bind_port = host or settings.host, port or settings.port

    def ready(root: str) -> None:
        console.print(f"[bold green]evinfra {__version__}[/] {root}/  (OpenAPI: {root}/docs)")
        console.print(f"T/CEC 102 接入 / hub: {root}{settings.tcec_base_path}/query_token")
        console.print(
            f"{len(sims)} 家运营商、{sum(len(s.stations) for s in sims)} 个站点正在实时推送 / "
            f"operators pushing live (speed ×{speed:g})"
        )
        console.print(f"看这里 / look at: curl -H 'Authorization: Bearer {key}' {root}/api/v1/stations")
        console.print(f"数据质量 / data quality: {root}/api/v1/quality · 健康 / health: {root}/healthz")

    totals = run_demo(
        container,
        create_app(container),
        bind_host,
        bind_port,
        operators=sims,
        speed=speed,
        duration=duration,
        on_ready=ready,
    )
    table = Table("接口 / interface", "应答 / answers")
    for interface, counts in totals.items():
        table.add_row(interface, ", ".join(f"Ret {ret}: {n}" for ret, n in sorted(counts.items())))
    console.print(table)


def _container() -> Container:
    return bootstrap(Settings())


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{message}[/]")
    raise typer.Exit(1)


_PROFILE_HELP = "编码规范 / partner profile of the operator's client: " + ", ".join(
    f"{p.name} ({p.title})" for p in PROFILES.values()
)


@operator_app.command("add")
def operator_add(
    operator_id: Annotated[str, typer.Option("--operator-id", help="9 位组织机构代码 / 9-char OperatorID")],
    name: Annotated[str, typer.Option("--name", help="运营商名称 / operator name")],
    uscc: Annotated[str | None, typer.Option("--uscc", help="18 位统一社会信用代码")] = None,
    tel: Annotated[str, typer.Option("--tel", help="联系电话")] = "",
    partner: Annotated[str, typer.Option("--profile", help=_PROFILE_HELP)] = STANDARD,
    as_json: Annotated[bool, typer.Option("--json", help="print the key set as one JSON object")] = False,
) -> None:
    """登记运营商并生成接入密钥（只显示一次）/ register an operator and issue its key set (shown once)."""
    c = _container()
    try:
        operator = Operator(operator_id=operator_id, name=name, uscc=uscc, tel=tel)
        keys = onboard_operator(operator, c.uow, c.master, c.clock(), partner)
    except DomainValidationError as exc:
        _fail(exc.message)
    except OperatorExists as exc:
        _fail(str(exc))
    wire = {"OperatorID": operator_id, **key_set_to_wire(keys)}
    if as_json:
        typer.echo(json.dumps(wire, ensure_ascii=False))
        return
    table = Table(title=f"{name}（{operator_id}）接入密钥 — 只显示这一次 / shown once")
    table.add_column("字段 / field")
    table.add_column("值 / value")
    for k, v in wire.items():
        table.add_row(k, v)
    console.print(table)
    console.print(f"接入地址 / endpoint: http://<host>:<port>{c.settings.tcec_base_path}/query_token")


@operator_app.command("list")
def operator_list() -> None:
    """列出运营商 / list operators."""
    c = _container()
    with c.new_uow() as uow:
        operators = uow.operators.list()
        profiles = {op.operator_id: getattr(uow.hub.get_keys(op.operator_id, "in"), "profile", "") for op in operators}
    table = Table("OperatorID", "名称 / name", "状态 / status", "编码规范 / profile")
    for op in operators:
        table.add_row(op.operator_id, op.name, op.status.value, profiles[op.operator_id])
    console.print(table)


@operator_app.command("set-profile")
def operator_set_profile(
    operator_id: Annotated[str, typer.Argument(help="OperatorID")],
    partner: Annotated[str, typer.Argument(help=_PROFILE_HELP)],
) -> None:
    """设置运营商客户端所用的编码规范 / read the operator's codes through a partner profile."""
    c = _container()
    try:
        set_profile(operator_id, partner, c.uow, c.clock())
    except DomainValidationError as exc:
        _fail(exc.message)
    except UnknownOperator:
        _fail(f"运营商 {operator_id} 不存在或尚无接入密钥 / no such operator or no key set")
    console.print(f"[green]{operator_id}: {partner}[/]")


def _set_status(operator_id: str, status: OperatorStatus) -> None:
    c = _container()
    try:
        set_operator_status(operator_id, status, c.new_uow(), c.clock())
    except UnknownOperator:
        _fail(f"运营商 {operator_id} 不存在 / no such operator")
    console.print(f"[green]{operator_id}: {status.value}[/]")


@operator_app.command("suspend")
def operator_suspend(operator_id: Annotated[str, typer.Argument(help="OperatorID")]) -> None:
    """暂停接入（推送将被拒绝）/ suspend: its pushes are refused."""
    _set_status(operator_id, OperatorStatus.SUSPENDED)


@operator_app.command("activate")
def operator_activate(operator_id: Annotated[str, typer.Argument(help="OperatorID")]) -> None:
    """恢复接入 / re-activate a suspended operator."""
    _set_status(operator_id, OperatorStatus.ACTIVE)


@operator_app.command("rotate-keys")
def operator_rotate(
    operator_id: Annotated[str, typer.Argument(help="OperatorID")],
    as_json: Annotated[bool, typer.Option("--json", help="print the key set as one JSON object")] = False,
) -> None:
    """更换接入密钥，旧令牌作废 / issue new secrets and revoke every token."""
    c = _container()
    try:
        keys = rotate_keys(operator_id, c.uow, c.master, c.clock())
    except UnknownOperator:
        _fail(f"运营商 {operator_id} 不存在 / no such operator")
    wire = {"OperatorID": operator_id, **key_set_to_wire(keys)}
    typer.echo(json.dumps(wire, ensure_ascii=False, indent=None if as_json else 2))


@operator_app.command("set-pull")
def operator_set_pull(
    operator_id: Annotated[str, typer.Argument(help="OperatorID")],
    base_url: Annotated[
        str, typer.Option("--base-url", help="operator base URL incl. version, e.g. https://x/evcs/v1")
    ],
    operator_secret: Annotated[str, typer.Option("--operator-secret", help="OperatorSecret the operator issued us")],
    data_secret: Annotated[str, typer.Option("--data-secret")],
    data_secret_iv: Annotated[str, typer.Option("--data-secret-iv")],
    sig_secret: Annotated[str, typer.Option("--sig-secret")],
) -> None:
    """配置从运营商拉取数据 / configure pulling from the operator's CPO endpoints."""
    c = _container()
    try:
        keys = KeySet(operator_secret, data_secret, data_secret_iv, sig_secret)
    except ValueError as exc:
        _fail(str(exc))
    configure_pull(operator_id, base_url, keys, c.settings.tcec_operator_id, c.uow, c.master, c.clock())
    console.print(f"[green]{operator_id}: pull from {base_url}[/]")


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option("--role", help="admin / supervisor / city / operator / public")],
    name: Annotated[str, typer.Option("--name", help="who holds the key")] = "cli",
) -> None:
    """创建 API 密钥（只显示一次）/ create an API key (shown once); send it as Authorization: Bearer KEY."""
    c = _container()
    try:
        pk, key = create_api_key(name, role, c.uow, c.clock())
    except ValueError as exc:
        _fail(str(exc))
    console.print(f"API key #{pk} ({role}):", style="bold")
    typer.echo(key)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[int, typer.Argument(help="the #number shown at creation")]) -> None:
    """吊销 API 密钥 / revoke an API key."""
    c = _container()
    if not revoke_api_key(key_id, c.uow, c.clock()):
        _fail(f"API 密钥 #{key_id} 不存在或已吊销 / no such active key")
    console.print(f"[green]revoked #{key_id}[/]")


if __name__ == "__main__":  # pragma: no cover
    app()
