"""How long the human check takes a browser, at the settings a deployment runs with.

    .venv/bin/python -m bench.human_check [--quick] [--runs N]

Signs challenges with the configured ``HUMAN_CHECK_COST`` and ``HUMAN_CHECK_COUNTER_RANGE``
(the defaults unless the environment sets them), lets ``static/js/human-check.js`` solve
each in Debian's Chromium (headless, one tab, as a visitor's browser would), and checks
every solution on the server the way a form does. Prints the browser's solve time
(median, p95, max) and the server's check time; exits non-zero when a solution is refused.

There is no pass mark: the cost is a trade between a person's wait (aim: about a second on
a laptop; this headless machine is slower) and a flood's price. A script pays the same
per form, from any network, while the threshold asks it.
"""

import argparse
import http.server
import os
import statistics
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # run as a script: python bench/human_check.py
    sys.path.insert(0, str(BASE_DIR))

CHROMIUM = "/usr/bin/chromium"
SCRIPT = BASE_DIR / "static" / "js" / "human-check.js"


def page_html(challenge_json: str) -> str:
    from django.utils.html import escape

    return (
        "<!doctype html><html><body><form>"
        f'<div data-human-check="{escape(challenge_json)}" data-working="working" '
        'data-done="done" data-failed="failed" data-unsupported="unsupported">'
        '<input type="hidden" name="human_check" value="">'
        '<p role="status"></p></div><button type="submit">Send</button></form>'
        '<script src="/human-check.js"></script></body></html>'
    )


class PageHandler(http.server.BaseHTTPRequestHandler):
    """The page of the current challenge, or the script."""

    def do_GET(self) -> None:
        is_script = self.path.endswith(".js")
        body = SCRIPT.read_bytes() if is_script else self.server.html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript" if is_script else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class PageServer(http.server.ThreadingHTTPServer):
    """Serves on 127.0.0.1: a secure context, as https is in production (Web Crypto needs one)."""

    html = ""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), PageHandler)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from playwright.sync_api import sync_playwright

    from accounts.human_check import HumanCheck

    solve_ms: list[float] = []
    check_ms: list[float] = []
    server = PageServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page_url = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()
        for _run in range(runs):
            check = HumanCheck(scope="bench", client="bench", required=True)
            server.html = page_html(check.challenge_json)
            started = time.perf_counter()
            page.goto(page_url)
            page.wait_for_function(
                "document.querySelector('[name=human_check]').value !== ''", timeout=120_000
            )
            solve_ms.append((time.perf_counter() - started) * 1000)
            payload = page.eval_on_selector("[name=human_check]", "input => input.value")
            started = time.perf_counter()
            try:
                check.verify(payload)
            except ValidationError as error:
                print(f"FAILED: the server refused the browser's solution: {error.messages}")
                return 1
            check_ms.append((time.perf_counter() - started) * 1000)
        browser.close()
    server.shutdown()

    low, high = settings.HUMAN_CHECK_COUNTER_RANGE
    ordered = sorted(solve_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"human check: PBKDF2/SHA-256, {settings.HUMAN_CHECK_COST} iterations per try, "
        f"counter in [{low}, {high}), {runs} runs in Chromium"
    )
    print(
        f"  browser solve (page load to solution): median {statistics.median(solve_ms):.0f} ms, "
        f"p95 {p95:.0f} ms, max {max(solve_ms):.0f} ms"
    )
    print(f"  server check: median {statistics.median(check_ms):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
