"""Every failure becomes a clear JSON answer: nothing leaves as a bare HTTP 500."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from evinfra.domain.errors import DomainValidationError

log = logging.getLogger("evinfra.api")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainValidationError)
    async def _domain(_: Request, exc: DomainValidationError) -> JSONResponse:
        return JSONResponse({"error": "validation", **exc.as_dict()}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        return JSONResponse({"error": "validation", "message": "请求参数不合法", "errors": errors}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"error": "unavailable", "message": "服务暂时不可用，请稍后重试 / service unavailable, retry later"},
            status_code=503,
        )
