"""T/CEC 102 hub endpoints: POST <base path>/<interface>. Decode → ingest → encode happens in the Receiver.

Every POST under the base path is served by one plain Starlette route: the endpoint takes only the raw
request, so FastAPI's per-request dependency and response machinery (about 30 % of the HTTP cost of a
notification) has nothing to do. The per-interface FastAPI routes after it document the interfaces in the
OpenAPI schema; they would answer identically but are not reached.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from evinfra.protocols.tcec.receiver import Receiver

_ENVELOPE_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["OperatorID", "Data", "TimeStamp", "Seq", "Sig"],
                    "properties": {
                        "OperatorID": {"type": "string", "description": "9 位组织机构代码"},
                        "Data": {"type": "string", "description": "Base64(AES-128-CBC(JSON))"},
                        "TimeStamp": {"type": "string", "description": "yyyyMMddHHmmss (Asia/Shanghai)"},
                        "Seq": {"type": "string", "description": "4 位自增序列"},
                        "Sig": {"type": "string", "description": "HMAC-MD5, 32 位大写十六进制"},
                    },
                }
            }
        },
    },
    "responses": {
        "200": {
            "description": "Response envelope {Ret, Msg, Data, Sig}; Ret 0 only after the write is durable",
        }
    },
}


def router(receiver: Receiver, base_path: str) -> APIRouter:
    api = APIRouter(prefix=base_path.rstrip("/"), tags=["T/CEC 102 hub"])

    async def endpoint(request: Request) -> Response:
        called_as = request.scope["path"].rsplit("/", 1)[-1]  # not request.url: building a URL costs more
        declared = request.headers.get("content-length")
        body: bytes | None = None  # None: over the limit, answered without reading it all
        if declared is None or not declared.isdigit() or int(declared) <= receiver.max_body_bytes:
            body = await _read_limited(request, receiver.max_body_bytes)
        client = request.client.host if request.client else "unknown"
        answer = await receiver.receive(called_as, body, request.headers.get("authorization"), client)
        return Response(answer, media_type="application/json;charset=utf-8")

    # First, so it serves every interface; any other name still gets a T/CEC answer (Ret 4003), not a bare 404.
    api.add_route(f"{api.prefix}/{{interface}}", endpoint, methods=["POST"], include_in_schema=False, name="tcec")
    for name in receiver.interfaces():  # the documentation (see the module docstring)
        api.add_api_route(
            f"/{name}",
            endpoint,
            methods=["POST"],
            name=f"tcec_{name}",
            summary=name,
            openapi_extra=_ENVELOPE_SCHEMA,
            response_class=Response,
        )
    return api


async def _read_limited(request: Request, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
