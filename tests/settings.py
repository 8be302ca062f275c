"""The project's settings for tests: development mode, as ``make`` runs it.

``config.settings`` defaults to DEBUG off, which needs a real SECRET_KEY. The tests run
the development setup (pytest-django still turns DEBUG off inside each test), and the
processes they start (workers, servers) inherit DEBUG=1 from here through the
environment unless a test says otherwise.
"""

import os

os.environ.setdefault("DEBUG", "1")

from config.settings import *  # noqa: F403

# The human check's proof of work, cheap enough for Python to solve in a test (the
# browser test solves it in Chromium with the same settings).
HUMAN_CHECK_COST = 50
HUMAN_CHECK_COUNTER_RANGE = (1, 40)
