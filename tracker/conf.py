"""Piccolo configuration (DB and APP_REGISTRY), importable wherever the `tracker` command runs."""

from piccolo.conf.apps import AppRegistry

from tracker.db import make_engine
from tracker.settings import get_settings

_settings = get_settings()
DB = make_engine(_settings.database_url, _settings.sqlite_path)

APP_REGISTRY = AppRegistry(apps=["tracker.piccolo_app"])
