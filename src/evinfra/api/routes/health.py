from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from evinfra import __version__
from evinfra.ingest.writer import BatchWriter, GroupCommitWriter, LoopBatchWriter
from evinfra.ingest.writer_process import ProcessWriter
from evinfra.store.engine import READ_ONLY
from evinfra.store.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


async def livez() -> dict[str, str]:
    """The cheapest answer the server can give: the ceiling the ingest benchmark compares against."""
    return {"status": "ok"}


for _method in ("GET", "POST"):
    router.add_api_route(
        "/livez",
        livez,
        methods=[_method],
        name=f"livez_{_method.lower()}",
        operation_id=f"livez_{_method.lower()}",
        summary="Process liveness, no store access / 存活检查",
    )


@router.get("/healthz", summary="Liveness and store readiness / 健康检查")
def healthz(request: Request) -> JSONResponse:
    """200 when the store answers and its schema is at the code's head revision, else 503."""
    container = request.app.state.container
    try:
        with container.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(container.engine)
    except Exception as exc:  # the health check must answer, whatever the store does
        return JSONResponse({"status": "error", "store": "unreachable", "detail": str(exc)[:200]}, status_code=503)
    head = head_revision()
    ok = revision == head
    body = {
        "status": "ok" if ok else "error",
        "version": __version__,
        "store": container.engine.url.get_backend_name(),
        "schema_revision": revision,
        "schema_head": head,
        # This worker's group commit: items / batches is how many acknowledgements share one fsync.
        "writer": _writer(container.writer),
    }
    if not ok:
        body["detail"] = "数据库未升级，请运行 evinfra db upgrade / run `evinfra db upgrade`"
    return JSONResponse(body, status_code=200 if ok else 503)


def _writer(writer: GroupCommitWriter) -> dict[str, Any]:
    """Which group-commit writer this worker runs, and how it has fared."""
    stats: dict[str, Any] = {"kind": _KINDS[type(writer)], "batches": writer.batches, "items": writer.items}
    if isinstance(writer, ProcessWriter):
        stats |= {"pid": writer.pid, "restarts": writer.restarts}
    return stats


_KINDS = {ProcessWriter: "process", LoopBatchWriter: "loop", BatchWriter: "thread"}
