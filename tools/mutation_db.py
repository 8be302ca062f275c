"""pytest plugin for mutation runs: migrate the test database once, then copy it.

mutmut runs the tests once per mutant, each run in a fresh process; each would build its
test database by running every migration again, which takes longer than most of the
tests it serves. The first run (mutmut's own clean run) migrates and keeps a copy; every
later run starts from the copy, data migrations' rows included:

- SQLite (in memory): the copy is a file, ``MUTATION_DB_TEMPLATE``; later runs create
  the tables without migrations and copy the file over them with SQLite's backup API.
- PostgreSQL: the copy is a database, ``<test database>_template``; later runs create the
  test database from it (``CREATE DATABASE … TEMPLATE …``), and ``MUTATION_DB_TEMPLATE``
  is only a marker that the template belongs to this run.

Loaded by ``tools/mutate.py`` only (through a ``conftest.py`` in its scratch copy), never
by ``make test``.
"""

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import DjangoDbBlocker


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None,
    django_db_blocker: DjangoDbBlocker,
) -> Iterator[None]:
    from django.conf import settings
    from django.db import connection, connections
    from django.test.utils import teardown_databases

    template = Path(os.environ["MUTATION_DB_TEMPLATE"])
    database_name = connection.settings_dict["NAME"]
    with django_db_blocker.unblock():
        setup = _postgresql if connection.vendor == "postgresql" else _sqlite
        config = setup(template)
    yield
    with django_db_blocker.unblock():
        if config is not None:
            teardown_databases(config, verbosity=0)
        # mutmut forks each mutant's run from the process that ran the clean tests: a
        # PostgreSQL connection left open here would be shared by every child, and the
        # test database's name left in the settings would be prefixed again.
        connections.close_all()
        settings.DATABASES[connection.alias]["NAME"] = database_name
        connection.settings_dict["NAME"] = database_name


def _sqlite(template: Path) -> list:
    from django.db import connection
    from django.test.utils import setup_databases
    from pytest_django.fixtures import _disable_migrations

    saved = template.exists()
    if saved:
        _disable_migrations()
    # Nothing serialised for serialized_rollback: no test here asks for it, and it would
    # serialise the tables made without migrations, before the copy replaces them.
    config = setup_databases(
        verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
    )
    connection.ensure_connection()
    if saved:
        source = sqlite3.connect(template)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        _clear_caches()
    else:
        # Written aside and renamed, so that a run beside this one never reads half.
        partial = template.with_name(f"{template.name}.{os.getpid()}")
        copy = sqlite3.connect(partial)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        os.replace(partial, template)
    return config


def _clear_caches() -> None:
    """Forget the rows cached while the tables were made without migrations.

    Creating them fires post_migrate, which makes content types (and caches their ids)
    in another order than the migrations did; the copy brings back the migrated ids.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site

    ContentType.objects.clear_cache()
    Site.objects.clear_cache()


def _postgresql(marker: Path) -> list | None:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases

    creation = connection.creation
    test_name = creation._get_test_db_name()
    template_name = f"{test_name}_template"
    quote = connection.ops.quote_name
    if marker.exists():
        with creation._nodb_cursor() as cursor:
            # FORCE: a run stopped at its time limit may have left a session open on it.
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {quote(test_name)} TEMPLATE {quote(template_name)}")
        connection.close()
        settings.DATABASES[connection.alias]["NAME"] = test_name
        connection.settings_dict["NAME"] = test_name
        connection.ensure_connection()
        return None  # dropped and made again by the next run
    # A template left by an earlier `make mutate` may predate a migration: made anew.
    with creation._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(template_name)}")
    config = setup_databases(
        verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
    )
    connection.close()  # a template database must have no connection open
    with creation._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quote(template_name)} TEMPLATE {quote(test_name)}")
    marker.write_text(template_name, encoding="utf-8")
    return config
