"""FastAPI dependencies: the container, a unit of work, and API-key authentication."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from evinfra.access import api_key_hash
from evinfra.bootstrap import Container
from evinfra.store.uow import SqlUnitOfWork


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_uow(container: ContainerDep) -> Iterator[SqlUnitOfWork]:
    """A read-only unit of work: the read API never waits for (or blocks) the hub's writer."""
    with container.uow.read() as uow:
        yield uow


UowDep = Annotated[SqlUnitOfWork, Depends(get_uow)]


def require_role(*roles: str) -> Callable[[Request, SqlUnitOfWork], str]:
    """A dependency that admits an ``Authorization: Bearer <API key>`` whose role is one of ``roles``."""

    def check(request: Request, uow: UowDep) -> str:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "缺少 API 密钥：请发送 Authorization: Bearer <key>（evinfra apikey create）/ missing API key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        found = uow.hub.api_key_role(api_key_hash(header[7:].strip()))
        if found is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "API 密钥无效或已吊销 / invalid or revoked API key")
        if found[1] not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"角色 {found[1]} 无权访问 / role not allowed")
        return found[0]

    return check
