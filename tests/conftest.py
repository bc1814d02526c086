"""Test set-up: a private data directory, and every database test run on SQLite and PostgreSQL.

The environment is set before anything from `tracker` is imported, so the settings, the engine
and the secret key all come from the temporary directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="tracker-tests-"))
os.environ["TRACKER_DATA_DIR"] = str(_TMP / "data")
os.environ["TRACKER_SECRET_KEY"] = "test-secret-key-" + "x" * 32
os.environ.pop("TRACKER_DATABASE_URL", None)
os.environ.setdefault("PICCOLO_CONF", "tracker.conf")  # as the entry points set it
os.environ["TRACKER_SCHEDULER"] = "0"  # `tracker serve` in tests: no reminders, no outside fetches
os.environ.setdefault("MPLCONFIGDIR", str(Path(__file__).resolve().parent.parent / "data" / "mplconfig"))

import asyncpg  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

# The property tests check logic, not speed: on a shared 2-core machine one example can take
# several times Hypothesis's default 200 ms deadline, which made them fail at random.
hypothesis_settings.register_profile("tracker", deadline=None)
hypothesis_settings.load_profile("tracker")
from argon2 import PasswordHasher  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402
from piccolo.engine.sqlite import SQLiteEngine  # noqa: E402

from tests.support.commands import run_tracker  # noqa: E402
from tests.support.postgres import create_app_role, owner_url, running_postgres  # noqa: E402
from tracker.piccolo_app import APP_CONFIG  # noqa: E402
from tracker.services import security  # noqa: E402
from tracker.services.database import bind_engine  # noqa: E402
from tracker.services.history_check import find_gaps  # noqa: E402

BACKENDS = ["sqlite", "postgres"]


def pytest_configure(config):
    config.addinivalue_line("markers", "audit_gaps: the test leaves history without audit "
                            "entries on purpose (the database fixture's check skips it)")


@pytest.fixture(scope="session")
def postgres_url():
    with running_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_data_dir() -> Path:
    return _TMP / "data"


def _migrate(database_url: str | None, data_dir: Path) -> None:
    result = run_tracker("db", "migrate", database_url=database_url, data_dir=data_dir)
    assert result.returncode == 0, result.stderr


_engines: dict[str, object] = {}
SQLITE_TEMPLATE_DIR = _TMP / "sqlite-template"


@pytest.fixture(scope="session")
def backend_urls(request):
    """(database_url, data_dir) per backend, migrated once by the real `tracker db migrate`.

    SQLite is migrated into a template file that every test starts from a copy of. PostgreSQL
    is migrated by the owner role, and the tests (and the app under test) then run as the
    application role, which owns nothing, as the README says to deploy it."""
    urls: dict[str, str | None] = {}

    def get(backend: str):
        if backend not in urls:
            if backend == "sqlite":
                urls[backend] = None
                _migrate(None, SQLITE_TEMPLATE_DIR)
            else:
                owner = request.getfixturevalue("postgres_url")
                _migrate(owner, _TMP / "data")
                urls[backend] = create_app_role(owner)
        return urls[backend], _TMP / "data"

    return get


async def _clean(backend: str, url: str | None, data_dir: Path) -> None:
    """An empty database. The history tables refuse DELETE and TRUNCATE (append-only
    triggers), so SQLite starts from a fresh copy of the migrated file, and PostgreSQL
    truncates with triggers off for this session (the test cluster's user is a superuser)."""
    if backend == "sqlite":
        target = data_dir / "tracker.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SQLITE_TEMPLATE_DIR / "tracker.sqlite", target)
        return
    tables = ", ".join(table._meta.tablename for table in APP_CONFIG.table_classes)
    connection = await asyncpg.connect(owner_url(url))
    try:
        await connection.execute("SET session_replication_role = replica; "
                                 f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
async def database(request, backend_urls):
    """An empty, migrated database on each backend; every table bound to it for the test."""
    backend = request.param
    url, data_dir = backend_urls(backend)
    if backend not in _engines:
        _engines[backend] = (PostgresEngine(config={"dsn": url}) if url
                             else SQLiteEngine(path=str(data_dir / "tracker.sqlite"), timeout=30))
    bind_engine(_engines[backend])
    await _clean(backend, url, data_dir)
    yield backend
    # Whatever the test wrote, every update, review and task edit has its audit entry
    # (`tracker db check`), unless the test made a gap on purpose.
    if not request.node.get_closest_marker("audit_gaps"):
        bind_engine(_engines[backend])
        gaps = await find_gaps()
        assert not gaps, "\n".join(gaps.lines())


@pytest.fixture
async def app_client(database):
    """The app over HTTP semantics (cookies, CSRF, redirects) on https, as in production.

    httpx's ASGI transport runs the app in the test's own event loop, so the test and the app
    share one database engine (Litestar's AsyncTestClient runs it in another loop)."""
    import httpx

    from tracker.http.app import create_app

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as client:
        yield client


@pytest.fixture
def cheap_password_hashing(monkeypatch):
    """Real argon2 with its cheapest parameters, so the many logins of a test module stay fast
    (use it with ``pytestmark = pytest.mark.usefixtures("cheap_password_hashing")``)."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))
