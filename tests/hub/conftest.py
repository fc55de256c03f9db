"""A live hub over real HTTP on each backend, with one onboarded operator owning station A."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from tests.conftest import NOW
from tests.networks import OP, tree
from tests.servers import serve

from evinfra.api.app import create_app
from evinfra.bootstrap import Container, bootstrap
from evinfra.config import Settings
from evinfra.domain.operator import Operator
from evinfra.ingest.registry import onboard_operator
from evinfra.ingest.services import save_station
from evinfra.protocols.tcec.crypto import KeySet


@dataclass
class Live:
    base: str  # e.g. http://127.0.0.1:PORT/evcs/v1
    root: str
    container: Container
    keys: KeySet  # OP's operator→platform key set


@pytest.fixture
def container(engine, tmp_path) -> Container:
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False))
    return bootstrap(settings, engine=engine)  # the test's engine, so its clean-up applies


@pytest.fixture
def live(container) -> Iterator[Live]:
    keys = onboard_operator(Operator(OP, "太原示例充电公司"), container.uow, container.master, NOW)
    save_station(tree("A", 2, connectors_per_pile=2), container.uow(), NOW, container.regions)
    with serve(create_app(container)) as root:
        yield Live(root + container.settings.tcec_base_path, root, container, keys)
