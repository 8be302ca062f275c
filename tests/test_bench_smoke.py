"""The page benchmark's parts, and (with PostgreSQL and Redis) a quick run of the whole."""

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench import pages

BASE_DIR = Path(__file__).resolve().parent.parent


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like gunicorn's gthread workers

    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/ok":
            self.send_header("X-Page-Cache", "hit")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_port():
    server = ThreadingHTTPServer((pages.HOST, 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_percentile_is_nearest_rank():
    assert pages.percentile([float(n) for n in range(1, 101)], 99) == 99.0
    assert pages.percentile([float(n) for n in range(1, 11)], 99) == 10.0
    assert pages.percentile([3.0], 99) == 3.0
    assert pages.percentile([], 99) == 0.0


def test_run_load_counts_every_response_and_cache_hit(local_port):
    result = pages.run_load(local_port, "/ok", duration=0.3, concurrency=2)

    assert result.requests > 10
    assert result.statuses == {200: result.requests}
    assert len(result.latencies) == result.requests
    assert result.cache_hits == result.requests
    assert result.failures == 0


def test_run_load_reports_responses_that_are_not_200(local_port):
    result = pages.run_load(local_port, "/missing", duration=0.2, concurrency=2)

    assert result.requests > 0
    assert result.statuses == {503: result.requests}
    assert result.failures == result.requests


def test_report_gives_ratios_to_the_trivial_view_and_the_verdict():
    trivial = pages.LoadResult("/bench/trivial/", requests=1000, elapsed=1.0)
    trivial.latencies = [0.004] * 100
    fast = pages.LoadResult("/", requests=800, elapsed=1.0, cache_hits=800)
    fast.latencies = [0.005] * 100
    slow = pages.LoadResult("/seminars/", requests=400, elapsed=1.0)
    slow.latencies = [0.010] * 100

    lines = pages.report([trivial, fast, slow]).splitlines()

    assert lines[1].split()[:7] == ["/bench/trivial/", "1000", "4.00", "-", "-", "-", "0%"]
    assert lines[2].split()[:7] == ["/", "800", "5.00", "0.80", "0.80", "PASS", "100%"]
    assert lines[3].split()[:7] == ["/seminars/", "400", "10.00", "0.40", "0.40", "FAIL", "0%"]


def test_trivial_view_answers_without_touching_the_database(client, settings):
    # No django_db mark: any query here would raise.
    settings.ROOT_URLCONF = "bench.urls"

    response = client.get("/bench/trivial/")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_bench_settings_are_the_project_settings_with_the_bench_urls():
    from bench import settings as bench_settings
    from config import settings as project_settings

    assert bench_settings.ROOT_URLCONF == "bench.urls"
    assert bench_settings.MIDDLEWARE == project_settings.MIDDLEWARE
    assert bench_settings.CACHES == project_settings.CACHES


@pytest.mark.services
def test_quick_benchmark_run_serves_every_page_and_invalidates():
    from tests.conftest import redis_test_url

    database = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": urlunsplit(database._replace(path="/kizuna_bench")),
        "BENCH_CACHE_URL": redis_test_url(14),
    }

    run = subprocess.run(
        [sys.executable, "-m", "bench.pages", "--quick"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "invalidation: ok" in run.stdout
