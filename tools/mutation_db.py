"""pytest plugin for mutation runs on SQLite: migrate the test database once, then copy it.

mutmut runs the tests once per mutant, each run in a fresh process; on the embedded
default each would build its in-memory test database by running every migration again,
which takes longer than most of the tests it serves. The first run (mutmut's own clean
run) migrates and saves the result to ``MUTATION_DB_TEMPLATE``; every later run creates
the tables without migrations and then copies the saved database over them with
SQLite's backup API, data migrations' rows included. Loaded by ``tools/mutate.py`` only
(``-p tools.mutation_db``), never by ``make test``.
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
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations

    template = Path(os.environ["MUTATION_DB_TEMPLATE"])
    saved = template.exists()
    with django_db_blocker.unblock():
        if saved:
            _disable_migrations()
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        connection.ensure_connection()
        if saved:
            with sqlite3.connect(template) as source:
                source.backup(connection.connection)
        else:
            # Written aside and renamed, so that a run beside this one never reads half.
            partial = template.with_name(f"{template.name}.{os.getpid()}")
            with sqlite3.connect(partial) as copy:
                connection.connection.backup(copy)
            os.replace(partial, template)
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)
