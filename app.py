"""ASGI entry point: `uvicorn app:app` from the project root (the `tracker serve` command does this)."""

from tracker.http.app import create_app

app = create_app()
