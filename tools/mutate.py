"""Mutation testing of the core modules with mutmut: ``make mutate [MODULE=name]``.

Each core module is mutated on its own, in a scratch copy of the repository under
``var/mutation/<name>/`` (mutmut writes its ``mutants/`` tree beside the code it copies),
and checked against the tests that exercise it. The table printed at the end gives, per
module, the mutants, those killed, those that survived, those no selected test reached,
timeouts, the survivors listed as equivalent in ``tests/mutation-equivalents.md`` (each
with its reason), and the score: (killed + timeouts + equivalents) / mutants.

``MUTATION_WORK_DIR`` puts the scratch copies elsewhere (to keep one run's results while
another runs). With ``DATABASE_URL`` set the tests run on that database (PostgreSQL: the lock paths
count) one mutant at a time, since they share one test database; on the embedded
default (SQLite in memory) mutants run two at a time. Exit status 1 when a module is
under ``--threshold`` (90 %).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("MUTATION_WORK_DIR", ROOT / "var" / "mutation"))
EQUIVALENTS = ROOT / "tests" / "mutation-equivalents.md"
# Copied besides the mutated package: what importing Django and running the tests needs.
COPIED = [
    "accounts",
    "config",
    "notifications",
    "privacy",
    "webinars",
    "templates",
    "static",
    "locale",
    "tests",
    "tools",
    "manage.py",
    "pyproject.toml",
]


@dataclass(frozen=True)
class Target:
    module: str  # the file mutated
    tests: tuple[str, ...]  # the tests that exercise it


TARGETS: dict[str, Target] = {
    "registrations": Target(
        "webinars/services/registrations.py",
        (
            "tests/webinars/services/test_registrations.py",
            "tests/webinars/services/test_registration_off_the_lock.py",
            "tests/webinars/services/test_consents.py",
            "tests/webinars/services/test_registration_edges.py",
            "tests/webinars/views/test_registration.py",
        ),
    ),
    "reminders": Target(
        "notifications/services/reminders.py",
        (
            "tests/notifications/services/test_reminders.py",
            "tests/notifications/services/test_scan_queries.py",
        ),
    ),
    "change-notices": Target(
        "notifications/services/seminar_changes.py",
        (
            "tests/notifications/services/test_seminar_changes.py",
            "tests/notifications/services/test_change_notice_race.py",
            "tests/notifications/services/test_seminar_change_edges.py",
        ),
    ),
    "delivery": Target(
        "notifications/services/delivery.py",
        (
            "tests/notifications/services/test_delivery.py",
            "tests/notifications/services/test_outbox.py",
            "tests/notifications/test_tasks.py",
            "tests/notifications/services/test_delivery_edges.py",
        ),
    ),
    "recording-access": Target(
        "webinars/recording_access.py",
        (
            "tests/webinars/views/test_recordings.py",
            "tests/webinars/views/test_recording_files.py",
            "tests/webinars/selectors/test_recordings.py",
            "tests/webinars/test_recording_access.py",
        ),
    ),
    "ical": Target("webinars/ical.py", ("tests/webinars/test_ical.py",)),
    "timezones": Target(
        "webinars/timezones.py",
        ("tests/webinars/test_timezones.py", "tests/webinars/test_ical.py"),
    ),
    "links": Target(
        "notifications/services/links.py",
        (
            "tests/notifications/services/test_links.py",
            "tests/notifications/services/test_links_folding.py",
        ),
    ),
}


@dataclass
class Outcome:
    name: str
    total: int = 0
    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    timeout: int = 0
    equivalent: int = 0
    survivors: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        if not self.total:
            return 0.0
        return (self.killed + self.timeout + self.equivalent) / self.total


def equivalents() -> dict[str, str]:
    """Mutant name -> why it is equivalent, from ``tests/mutation-equivalents.md``:
    lines ``- `module.x_function__mutmut_3`: the reason``; on PostgreSQL, not those whose
    reason begins "SQLite only"."""
    if not EQUIVALENTS.exists():
        return {}
    found = {}
    for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*-\s*`([\w.]+__mutmut_\d+)`\s*:\s*(.+)$", line)
        if match is None:
            continue
        reason = match.group(2).strip()
        # Equivalent only where SQLite's row order or lack of row locks hides the change.
        if reason.startswith("SQLite only") and on_postgresql():
            continue
        found[match.group(1)] = reason
    return found


def on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def prepare(name: str, target: Target) -> Path:
    """A scratch copy of the code and tests, configured to mutate ``target`` only."""
    work = WORK / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for item in COPIED:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(
                source, work / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        elif source.exists():
            shutil.copy2(source, work / item)
    # Each mutant's run copies a database migrated once instead of migrating again.
    (work / "conftest.py").write_text(
        "from tools.mutation_db import django_db_setup  # noqa: F401\n", encoding="utf-8"
    )
    package = target.module.split("/")[0]
    others = [
        item for item in [*COPIED, "conftest.py"] if item != package and (work / item).exists()
    ]
    config = "\n".join(
        [
            "",
            "[tool.mutmut]",
            f"source_paths = [{json.dumps(package)}]",
            f"only_mutate = [{json.dumps(target.module)}]",
            f"pytest_add_cli_args_test_selection = {json.dumps(list(target.tests))}",
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]',
            f"also_copy = {json.dumps(others)}",
            "",
        ]
    )
    pyproject = work / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + config, encoding="utf-8")
    return work


def run(name: str, target: Target, *, children: int) -> Outcome:
    work = prepare(name, target)
    mutmut = str(Path(sys.executable).parent / "mutmut")
    env = {key: value for key, value in os.environ.items() if key != "DEBUG"}
    env["MUTATION_DB_TEMPLATE"] = str(work / "mutants" / "test-database.sqlite3")
    print(f"== {name}: mutating {target.module} ({', '.join(target.tests)})", flush=True)
    subprocess.run(
        [mutmut, "run", "--max-children", str(children)],
        cwd=work,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [mutmut, "export-cicd-stats"], cwd=work, env=env, check=True, capture_output=True
    )
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    results = subprocess.run(
        [mutmut, "results"], cwd=work, env=env, check=True, capture_output=True, text=True
    ).stdout
    survivors = tuple(
        line.split(":")[0].strip() for line in results.splitlines() if line.endswith(": survived")
    )
    known = equivalents()  # read when the module is done: the list may grow during a run
    equivalent = sum(1 for mutant in survivors if mutant in known)
    return Outcome(
        name=name,
        total=stats["total"],
        killed=stats["killed"],
        survived=stats["survived"] - equivalent,
        no_tests=stats["no_tests"],
        timeout=stats["timeout"],
        equivalent=equivalent,
        survivors=tuple(mutant for mutant in survivors if mutant not in known),
    )


def table(outcomes: list[Outcome]) -> str:
    head = "| module | mutants | killed | survived | no tests | timeout | equivalent | score |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for o in outcomes:
        lines.append(
            f"| {o.name} | {o.total} | {o.killed} | {o.survived} | {o.no_tests} | "
            f"{o.timeout} | {o.equivalent} | {o.score:.1%} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"any of: {', '.join(TARGETS)} (default all)")
    parser.add_argument("--threshold", type=float, default=0.90)
    parser.add_argument("--list-survivors", action="store_true")
    args = parser.parse_args()
    unknown = [name for name in args.modules if name not in TARGETS]
    if unknown:
        print(f"unknown module {', '.join(unknown)}: choose from {', '.join(TARGETS)}")
        return 2
    children = 1 if on_postgresql() else 2
    outcomes = [
        run(name, TARGETS[name], children=children) for name in (args.modules or list(TARGETS))
    ]
    print()
    print(table(outcomes))
    if args.list_survivors:
        for outcome in outcomes:
            for mutant in outcome.survivors:
                print(f"survived: {mutant}")
    below = [o.name for o in outcomes if o.score < args.threshold]
    if below:
        print(f"\nunder {args.threshold:.0%}: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
