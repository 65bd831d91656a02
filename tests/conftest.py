"""The test harness: one test database, two session-wide tenants, clients per tenant
and role, and a real Celery worker for the tests marked `worker`.

Schemas are expensive (a clone of the template schema each), so the tenants "alpha"
and "beta" are provisioned once, committed, when the test database is set up. Each
test then runs inside a transaction that is rolled back (pytest-django's `db`), so
rows a test writes in either schema disappear with it. Tests that need committed
data (because the worker must see it) use the `committed` fixture and clean up after
themselves.

The tenant middleware switches the connection's schema on every request and leaves it
there; `TenantClient` puts it back after each request, so a test's own queries always
run where the test put them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.test import Client

from prm.tenancy.db import tenant_connection
from tests.dns_server import ZoneServer
from tests.factories import DEFAULT_PASSWORD, ApiKeyFactory, PartnerFactory, UserFactory

pytest_plugins = ["tests.webhooks.fixtures"]

connection = tenant_connection()

TENANT_SLUGS = ("alpha", "beta")
PROJECT_DIR = Path(__file__).resolve().parent.parent
WORKER_START_SECONDS = 60


# --- database and tenants ------------------------------------------------------------


# slug -> Tenant, filled once by django_db_setup.
_session_tenants: dict[str, Any] = {}


def _flush_test_redis() -> None:
    """Start from an empty Redis: no host cache or queued task from an earlier run."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """Create and migrate the test database the django-tenants way, then the tenants.

    Django's test database creation runs `migrate`, which django-tenants replaces with
    `migrate_schemas`; on a new database no tenant exists yet, so that is exactly
    `migrate_schemas --shared` (public schema only). The template schema is migrated
    from scratch by template_ensure(); alpha and beta are clones of it.
    """
    from django.test.utils import setup_databases, teardown_databases

    from prm.tenancy.selectors import tenant_get_by_slug
    from prm.tenancy.services import public_tenant_ensure, template_ensure, tenant_provision

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        db_config = setup_databases(
            verbosity=0,
            interactive=False,
            keepdb=keepdb,
            # Nothing here uses serialized rollback (it would only see the public schema).
            serialized_aliases=set(),
        )
        _flush_test_redis()
        template_ensure()
        public_tenant_ensure()
        for slug in TENANT_SLUGS:
            tenant = tenant_get_by_slug(slug=slug)
            if tenant is None:
                tenant = tenant_provision(slug=slug, name=f"{slug.title()} Corp")
            _session_tenants[slug] = tenant
        connection.set_schema_to_public()

    yield

    _session_tenants.clear()
    if not keepdb:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            teardown_databases(db_config, verbosity=0)


@pytest.fixture(autouse=True)
def _refuse_flushing_databases(request: pytest.FixtureRequest) -> None:
    # TransactionTestCase ends by truncating every table of the public schema, which
    # would delete the session's tenants and domains under every later test.
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    ):
        pytest.fail(
            "transactional_db / django_db(transaction=True) would truncate the public "
            "schema (tenants and domains); use the `committed` fixture instead."
        )


@pytest.fixture(autouse=True)
def _public_schema_around_each_test() -> Iterator[None]:
    """Every test starts and ends in the public schema, whatever the last one did."""
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture(scope="session")
def session_tenants(django_db_setup: None) -> dict[str, Any]:
    return _session_tenants


@pytest.fixture
def tenant_a(session_tenants: dict[str, Any]) -> Any:
    """The session tenant "alpha", served at alpha.localhost."""
    return session_tenants["alpha"]


@pytest.fixture
def tenant_b(session_tenants: dict[str, Any]) -> Any:
    """The session tenant "beta", served at beta.localhost."""
    return session_tenants["beta"]


@contextlib.contextmanager
def tenant_schema(tenant: Any) -> Iterator[Any]:
    """Run the block in `tenant`'s schema; the connection is in public afterwards."""
    from django_tenants.utils import tenant_context

    try:
        with tenant_context(tenant):
            yield tenant
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def in_tenant() -> Callable[[Any], contextlib.AbstractContextManager[Any]]:
    """`with in_tenant(tenant_a): ...` runs the block in alpha's schema."""
    return tenant_schema


@pytest.fixture
def in_alpha(tenant_a: Any) -> Callable[[Callable[[], Any]], Any]:
    """`in_alpha(lambda: ...)`: the value of the call, made in alpha's schema.
    (tests/portal/conftest.py overrides it with a context manager of its own.)"""

    def run(work: Callable[[], Any]) -> Any:
        with tenant_schema(tenant_a):
            return work()

    return run


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[Callable[[Callable[[], Any]], None]]:
    """Database access outside any test transaction, for data a worker must see.

    Do not combine with `db`. Register a cleanup for everything you create:
    `committed(lambda: Thing.objects.filter(...).delete())`; cleanups run last-first,
    each in the public schema unless it enters a tenant itself.
    """
    cleanups: list[Callable[[], Any]] = []
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        try:
            yield cleanups.append
        finally:
            for cleanup in reversed(cleanups):
                connection.set_schema_to_public()
                cleanup()
            connection.set_schema_to_public()


# --- clients --------------------------------------------------------------------------


def host_of(tenant: Any) -> str:
    from prm.tenancy.services import host_for

    return host_for(tenant.slug)


class TenantClient(Client):
    """A test client bound to one host, which leaves the connection's schema alone.

    The tenant middleware switches the shared connection to the request's tenant; this
    client switches it back to whatever the test had when the request returns.
    """

    def __init__(self, host: str, **defaults: Any) -> None:
        super().__init__(HTTP_HOST=host, **defaults)
        self.host = host
        # Who the client acts as; API clients also carry their key row and clear key.
        self.user: Any = None
        self.api_key: Any = None
        self.key = ""

    def request(self, **request: Any) -> Any:
        previous_tenant = connection.tenant
        include_public = connection.include_public_schema
        try:
            return super().request(**request)
        finally:
            connection.set_tenant(previous_tenant, include_public=include_public)


def client_for(tenant: Any, **defaults: Any) -> TenantClient:
    return TenantClient(host_of(tenant), **defaults)


@pytest.fixture
def client_a(db: None, tenant_a: Any) -> TenantClient:
    """Anonymous browser on alpha.localhost."""
    return client_for(tenant_a)


@pytest.fixture
def client_b(db: None, tenant_b: Any) -> TenantClient:
    """Anonymous browser on beta.localhost."""
    return client_for(tenant_b)


@pytest.fixture
def public_client(db: None, session_tenants: dict[str, Any]) -> TenantClient:
    """Anonymous browser on the public site (the base domain itself)."""
    from django.conf import settings

    return TenantClient(settings.PRM_BASE_DOMAIN)


def make_user(tenant: Any, role: str, **fields: Any) -> Any:
    with tenant_schema(tenant):
        return UserFactory.create(role=role, **fields)


def log_in(client: TenantClient, tenant: Any, user: Any) -> TenantClient:
    with tenant_schema(tenant):
        # Sessions live in the tenant's schema, so the session row is written there.
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.user = user
    return client


@pytest.fixture
def logged_in_client(db: None) -> Callable[..., TenantClient]:
    """`logged_in_client(tenant_a, "manager")`: a client signed in on the tenant's host
    as a new user of that role (admin, manager or partner; partner users get a new
    partner unless `partner=` is given). The user is `client.user`."""

    def make(tenant: Any, role: str = "admin", **fields: Any) -> TenantClient:
        user = make_user(tenant, role, **fields)
        return log_in(client_for(tenant), tenant, user)

    return make


@pytest.fixture
def alpha_admin(logged_in_client: Callable[..., TenantClient], tenant_a: Any) -> TenantClient:
    return logged_in_client(tenant_a, "admin")


@pytest.fixture
def alpha_manager(logged_in_client: Callable[..., TenantClient], tenant_a: Any) -> TenantClient:
    return logged_in_client(tenant_a, "manager")


@pytest.fixture
def alpha_partner(logged_in_client: Callable[..., TenantClient], tenant_a: Any) -> TenantClient:
    return logged_in_client(tenant_a, "partner")


@pytest.fixture
def beta_admin(logged_in_client: Callable[..., TenantClient], tenant_b: Any) -> TenantClient:
    return logged_in_client(tenant_b, "admin")


@pytest.fixture
def api_client(db: None) -> Callable[..., TenantClient]:
    """`api_client(tenant_a, scopes=["read"])`: a client on the tenant's host that sends
    a new API key of that tenant; the key row is `client.api_key`, the key `client.key`."""

    def make(tenant: Any, scopes: list[str] | tuple[str, ...] = ("read", "write")) -> TenantClient:
        with tenant_schema(tenant):
            api_key = ApiKeyFactory.create(scopes=list(scopes))
        client = client_for(tenant, HTTP_AUTHORIZATION=f"Bearer {api_key.key}")
        client.api_key = api_key
        client.key = api_key.key
        client.user = api_key.user
        return client

    return make


@pytest.fixture
def alpha_api(api_client: Callable[..., TenantClient], tenant_a: Any) -> TenantClient:
    """alpha.localhost with a read+write API key of alpha."""
    return api_client(tenant_a)


@pytest.fixture
def beta_api(api_client: Callable[..., TenantClient], tenant_b: Any) -> TenantClient:
    return api_client(tenant_b)


@pytest.fixture
def partner_in() -> Callable[..., Any]:
    """`partner_in(tenant_b, ref="acme")`: a partner created in that tenant."""

    def make(tenant: Any, **fields: Any) -> Any:
        with tenant_schema(tenant):
            return PartnerFactory.create(**fields)

    return make


# --- the real Celery worker ------------------------------------------------------------


def _test_database_url(database_name: str) -> str:
    """The DATABASE_URL the tests were given, naming the test database instead."""
    given = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(given._replace(path="/" + quote(database_name, safe="")))


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def live_worker(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory, dns_server: ZoneServer
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery -A prm worker` on the test database and the tests' Redis, which
    looks partner domains up on the tests' loopback DNS server.

    Tests get it by being marked `@pytest.mark.worker`. It is stopped before the test
    database is dropped (it holds connections to it).
    """
    from django.conf import settings

    from prm.celery import app

    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.test",
        "DATABASE_URL": _test_database_url(settings.DATABASES["default"]["NAME"]),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": app.conf.broker_url,
        "SECRET_KEY": settings.SECRET_KEY,
        "PRM_DNS_NAMESERVERS": dns_server.address,
        "PYTHONUNBUFFERED": "1",
    }
    celery = Path(sys.executable).with_name("celery")
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(celery),
                "-A",
                "prm",
                "worker",
                "-P",
                "solo",
                # Every queue: the tests' one worker does the default and the heavy work.
                "-Q",
                "celery,bulk,webhooks",
                "-l",
                "WARNING",
                "-n",
                f"prm-tests-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=PROJECT_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"The Celery worker exited with {process.returncode}:\n{_log_tail(log_path)}"
                )
            if app.control.ping(timeout=0.5):
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"The Celery worker did not answer a ping in time:\n{_log_tail(log_path)}"
                )
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(autouse=True)
def _worker_for_marked_tests(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("worker") is not None:
        request.getfixturevalue("live_worker")


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Queued tasks run at once, in this process and the test's schema (errors raised):
    for tests of what a task does after a page or service queues it, without a worker."""
    from prm.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def beat_alive() -> Iterator[None]:
    """Celery beat's heartbeat, fresh, in the tests' Redis, as a running `celery -A prm
    beat` writes it every few seconds (/healthz answers 503 without it); gone after the
    test. The suite runs no beat: its sweeps would fold what tests leave pending."""
    from django.conf import settings

    from prm import beat
    from prm.breaker import redis_client

    beat.heartbeat_record()
    yield
    redis_client(settings.REDIS_URL).delete(beat.HEARTBEAT_KEY)


__all__ = [
    "DEFAULT_PASSWORD",
    "TenantClient",
    "client_for",
    "host_of",
    "log_in",
    "make_user",
    "tenant_schema",
]


# --- DNS on loopback -------------------------------------------------------------------


@pytest.fixture(scope="session")
def dns_server() -> Iterator[ZoneServer]:
    """A real authoritative DNS server on 127.0.0.1 serving tests/dns_server.py's zone,
    for the whole session (the Celery worker resolves through it too)."""
    server = ZoneServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def loopback_dns(dns_server: ZoneServer, settings: Any) -> ZoneServer:
    """Partner DNS checks in this test ask `dns_server`, and give up after a second."""
    settings.PRM_DNS_NAMESERVERS = [dns_server.address]
    settings.PRM_DNS_LIFETIME = 1.0
    return dns_server


# --- a live web server for browser tests ------------------------------------------------

LIVE_SERVER_START_SECONDS = 60


@contextlib.contextmanager
def live_web_server(tmp_path_factory: pytest.TempPathFactory, **environment: str) -> Iterator[str]:
    """`gunicorn prm.wsgi:application` on the test database, on a free loopback port,
    with `environment` over the tests' own; yields "http://127.0.0.1:PORT" once it
    answers, and stops it afterwards."""
    import socket
    import urllib.error
    import urllib.request

    from django.conf import settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.test",
        "DATABASE_URL": _test_database_url(settings.DATABASES["default"]["NAME"]),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
        **environment,
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log_path = tmp_path_factory.mktemp("web") / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "prm.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            cwd=PROJECT_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + LIVE_SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{_log_tail(log_path)}")
            try:
                # Any HTTP answer (the public site's 404 included) means it serves.
                urllib.request.urlopen(f"{url}/healthz", timeout=2).close()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer in time:\n{_log_tail(log_path)}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def live_server_url(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The web server (live_web_server) the browser tests share; yields
    "http://127.0.0.1:PORT". A browser reaches a tenant with
    `--host-resolver-rules=MAP *.localhost 127.0.0.1` and http://alpha.localhost:PORT/.

    pytest-django's live_server would need a transactional database (which flushes the
    public schema), so this is a separate process: what it must see is written with the
    `committed` fixture. It is stopped before the test database is dropped.
    """
    with live_web_server(tmp_path_factory) as url:
        yield url


# --- workers and a Redis of a test's own ------------------------------------------------


@pytest.fixture
def workers() -> Iterator[list[Any]]:
    """Workers (tests.reporting.workers.Worker) a test starts; stopped afterwards,
    whatever happened."""
    started: list[Any] = []
    yield started
    for worker in started:
        worker.stop()


@pytest.fixture
def private_redis(tmp_path: Path, settings: Any) -> Iterator[Any]:
    """A Redis of the test's own (tests.reporting.workers.PrivateRedis) as this
    process's cache and broker, and its workers' (the shared one serves other test
    runs and must not be stopped)."""
    from tests.reporting.workers import PrivateRedis, broker

    redis = PrivateRedis(tmp_path).start()
    settings.REDIS_URL = redis.url()
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis.url()}}
    try:
        with broker(redis.url()):
            yield redis
    finally:
        redis.stop()
