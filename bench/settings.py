"""The project's settings as deployed, plus the bench-only views (``bench/urls.py``).

Configure through the environment as for production; ``bench/pages.py`` sets it up.
"""

from config.settings import *  # noqa: F403
from config.settings import VAR_DIR, env

ROOT_URLCONF = "bench.urls"

# DEBUG=0 serves static files through collectstatic's manifest; the bench collects into
# a folder of its own instead of the project's STATIC_ROOT.
STATIC_ROOT = env.path("BENCH_STATIC_ROOT", default=VAR_DIR / "bench" / "static")
