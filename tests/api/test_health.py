import gc

from fastapi.testclient import TestClient

from evinfra.api.app import create_app
from evinfra.bootstrap import bootstrap
from evinfra.config import Settings


def client_for(engine, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False))
    return TestClient(create_app(bootstrap(settings, engine=engine)))


def test_healthz_reports_the_store_schema_and_writer(engine, tmp_path):
    with client_for(engine, tmp_path) as client:  # the lifespan starts this worker's writer process
        body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["store"] == engine.url.get_backend_name()
    assert body["schema_revision"] == body["schema_head"]
    writer = body["writer"]
    assert isinstance(writer.pop("pid"), int)
    assert writer == {"kind": "process", "batches": 0, "items": 0, "restarts": 0}  # nothing written here yet


def test_healthz_is_503_with_a_hint_before_upgrade(tmp_path):
    from evinfra.store.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    response = client_for(engine, tmp_path).get("/healthz")
    assert response.status_code == 503
    assert "evinfra db upgrade" in response.json()["detail"]


def test_openapi_is_served(engine, tmp_path):
    spec = client_for(engine, tmp_path).get("/openapi.json").json()
    assert "/healthz" in spec["paths"]


def test_the_startup_heap_is_frozen_while_serving_and_released_after(engine, tmp_path):
    """gc.freeze() keeps full collections from walking the catalog and the caches on the hub's hot path."""
    with client_for(engine, tmp_path) as client:
        assert client.get("/livez").status_code == 200
        assert gc.get_freeze_count() > 100_000  # the region catalog alone is tens of thousands of objects
    assert gc.get_freeze_count() == 0
