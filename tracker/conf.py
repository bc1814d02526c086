"""Piccolo configuration (DB and APP_REGISTRY), importable wherever the `tracker` command runs."""

from tracker.db import make_engine
from tracker.settings import get_settings

_settings = get_settings()
DB = make_engine(_settings.database_url, _settings.sqlite_path)


def __getattr__(name: str):
    """APP_REGISTRY on first use (Piccolo's migration commands): piccolo.conf.apps imports
    black and the migration machinery, ~0.4 CPU s that a command reading the database does
    not need (Piccolo's engine finder imports this module for DB alone)."""
    if name == "APP_REGISTRY":
        from piccolo.conf.apps import AppRegistry

        registry = AppRegistry(apps=["tracker.piccolo_app"])
        globals()["APP_REGISTRY"] = registry
        return registry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
