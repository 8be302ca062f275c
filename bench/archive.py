"""Recording archive search and the watch page, on PostgreSQL, in process.

    .venv/bin/python -m bench.archive [--quick]

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/kizuna_bench_archive) with 300 published public
recordings, each with a one-hour transcript of 1,200 cues (about 12,000 words), indexed
through ``recording_search_index``. It then times what ``/recordings/?q=…`` does for a page
(the count, the 12 cards with their joins, the transcript snippets) for several kinds of
query, uncached, and renders the watch page (not cached: it counts a view) through the
test client. One recording holds a planted phrase, which the phrase search must find alone.

Prints p50/p95 per query and watch pages per second; exits non-zero when a search gives a
wrong answer or a page is not 200. There is no target: the figures show how search grows
with the archive, to compare runs on one machine.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # run as a script: python bench/archive.py
    sys.path.insert(0, str(BASE_DIR))

from bench.pages import flush_cache, recreate_database, server_environment  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kizuna_bench_archive"
# Redis database 10: the other benchmarks use 13 and 14, the integration tests 11, 12, 15.
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/10"
PLANTED_PHRASE = "snow monsters of Zao"
PAGE_SIZE = 12
_WORDS = [
    "festival",
    "onsen",
    "castle",
    "garden",
    "temple",
    "shrine",
    "rail",
    "ferry",
    "island",
    "mountain",
    "village",
    "harbour",
    "market",
    "sake",
    "noodles",
    "seafood",
    "autumn",
    "spring",
    "winter",
    "summer",
    "travellers",
    "itinerary",
    "museum",
    "craft",
    "pottery",
    "lacquer",
    "silk",
    "samurai",
    "lantern",
    "bridge",
    "river",
    "valley",
    "coast",
    "forest",
    "trail",
    "guesthouse",
    "ryokan",
    "hostel",
    "cycling",
    "walking",
    "tour",
    "visitors",
    "region",
    "prefecture",
    "municipality",
    "tourism",
    "promotion",
    "exchange",
    "council",
    "residents",
    "students",
    "teachers",
    "partnership",
    "heritage",
]
QUERIES = [
    ("one common word", "festival"),
    ("two words", "castle ryokan"),
    ("phrase, planted once", f'"{PLANTED_PHRASE}"'),
    ("word in no transcript", "zeppelin"),
    ("Japanese (substring)", "雪の回廊"),
]


def _transcript(rng: random.Random, cues: int, planted: bool) -> list[str]:
    lines = [" ".join(rng.choices(_WORDS, k=10)).capitalize() + "." for _ in range(cues)]
    if planted:
        lines[cues // 2] = f"In winter you can see the {PLANTED_PHRASE} near Yamagata."
    return lines


def create_archive(*, recordings: int, cues: int, now: datetime) -> str:
    """``recordings`` past seminars with a public recording and transcript; the planted slug."""
    from django.db import transaction

    from webinars.demo import seed_series, seed_topics
    from webinars.models import Recording, Seminar, TranscriptCue
    from webinars.services import recording_search_index

    rng = random.Random(5)
    with transaction.atomic():
        series = list(seed_series().values())
        topics = list(seed_topics().values())
        seminars = Seminar.objects.bulk_create(
            Seminar(
                title=f"Archive seminar {n:04d}",
                slug=f"archive-seminar-{n:04d}",
                series=series[n % len(series)],
                summary="Regions of Japan for UK travel professionals.",
                starts_at=now - timedelta(days=n + 1),
                ends_at=now - timedelta(days=n + 1) + timedelta(hours=1),
                status=Seminar.Status.PUBLISHED,
                published_at=now - timedelta(days=n + 30),
            )
            for n in range(recordings)
        )
        Seminar.topics.through.objects.bulk_create(
            Seminar.topics.through(seminar=seminar, topic=topics[n % len(topics)])
            for n, seminar in enumerate(seminars)
        )
        planted_index = recordings // 3
        rows = []
        texts = []
        for n, seminar in enumerate(seminars):
            lines = _transcript(rng, cues, planted=n == planted_index)
            texts.append(lines)
            rows.append(
                Recording(
                    seminar=seminar,
                    title=f"Recording of archive seminar {n:04d}",
                    slug=f"archive-recording-{n:04d}",
                    video_provider=Recording.VideoProvider.YOUTUBE,
                    video_id="dQw4w9WgXcQ",
                    duration=timedelta(hours=1),
                    transcript_text="\n".join(lines),
                    speakers_consented=True,
                    speaker_consent_note="Bench.",
                    published_at=now - timedelta(days=n),
                )
            )
        created = Recording.objects.bulk_create(rows)
        for recording, lines in zip(created, texts, strict=True):
            TranscriptCue.objects.bulk_create(
                (
                    TranscriptCue(
                        recording=recording,
                        position=position,
                        starts_at=timedelta(seconds=3 * position),
                        ends_at=timedelta(seconds=3 * position + 3),
                        text=text,
                    )
                    for position, text in enumerate(lines)
                ),
                batch_size=2000,
            )
            recording_search_index(recording=recording)
    return created[planted_index].slug


def _search_page(query: str) -> tuple[int, list]:
    """What the archive view asks the database for one page of results."""
    from django.core.paginator import Paginator

    from webinars.recording_access import ANONYMOUS
    from webinars.selectors.recordings import recordings_archive, transcript_matches

    page = Paginator(recordings_archive(viewer=ANONYMOUS, query=query), PAGE_SIZE).get_page(1)
    cards = list(page.object_list)
    transcript_matches(cards, query)
    return page.paginator.count, cards


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small archive (smoke test)")
    parser.add_argument("--recordings", type=int)
    parser.add_argument("--cues", type=int, help="transcript cues per recording")
    parser.add_argument("--repeat", type=int, help="timed runs per query")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL))
    args = parser.parse_args(argv)
    recordings = args.recordings or (30 if args.quick else 300)
    cues = args.cues or (200 if args.quick else 1200)
    repeat = args.repeat or (5 if args.quick else 30)

    workdir = Path(tempfile.mkdtemp(prefix="kizuna-bench-archive-"))
    # The page benchmark's production-like settings (DEBUG off, Redis cache, static manifest).
    env = server_environment(
        database_url=args.database_url, cache_url=args.cache_url, static_root=workdir / "static"
    )
    os.environ.update({**env, "ALLOWED_HOSTS": "testserver"})
    started = time.monotonic()
    recreate_database(args.database_url)
    flush_cache(args.cache_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    planted_slug = create_archive(
        recordings=recordings, cues=cues, now=datetime.now(UTC).replace(microsecond=0)
    )
    print(
        f"{recordings} public recordings × {cues} transcript cues; "
        f"set up in {time.monotonic() - started:.1f} s",
        flush=True,
    )

    failed = False
    print(f"\n{'search (one page, uncached)':<32}{'results':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for label, query in QUERIES:
        _search_page(query)  # warm the connection and the plan
        timings, count = [], 0
        for _ in range(repeat):
            began = time.perf_counter()
            count, cards = _search_page(query)
            timings.append((time.perf_counter() - began) * 1000)
        p50, p95 = _percentiles(timings)
        print(f"{label:<32}{count:>9}{p50:>9.1f}{p95:>9.1f}")
        if query.startswith('"') and [card.slug for card in cards] != [planted_slug]:
            failed = True
            print(f"FAILED: the phrase search found {[card.slug for card in cards]}")

    client = Client()
    path = f"/recordings/{planted_slug}/"
    statuses: dict[int, int] = {}
    began = time.perf_counter()
    for n in range(repeat * 4):
        # A different address each time: every request counts a view (one INSERT).
        response = client.get(path, REMOTE_ADDR=f"10.0.{n // 250}.{n % 250}")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    elapsed = time.perf_counter() - began
    print(
        f"\nwatch page {path} (1,200-cue transcript when not --quick), in process: "
        f"{repeat * 4 / elapsed:.0f} pages/s, statuses {statuses}"
    )
    if set(statuses) != {200}:
        failed = True
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"total {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
