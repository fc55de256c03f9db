"""ASGI entry point for uvicorn (``evinfra.api.asgi:app``): one Container per worker process."""

from evinfra.api.app import create_app

app = create_app()
