"""The translation catalogues: compile them, and check that they are complete.

    python -m config.translations compile [PO ...]   # .po -> .mo (all under locale/)
    python -m config.translations check [--fresh]    # no untranslated, no fuzzy entry

Compiling uses Babel, pure Python, so ``make run`` and ``make test`` need no GNU gettext
(the README's promise: a fresh machine with only Python). ``check`` fails on an empty or
fuzzy translation and on a placeholder or HTML tag that the translation lost or invented,
which would break a page or an email at run time. ``--fresh`` also runs Django's
``makemessages`` (which needs GNU gettext's xgettext, as CI has) and fails when the code
holds a string that the catalogue lacks: a string added without its Japanese.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale"
# What makemessages reads: the apps' code and templates, never tests, benchmarks or data.
MAKEMESSAGES_IGNORE = (".venv", "var", "bench", "tests", "staticfiles", "*.egg-info", "locale")
# printf-style placeholders (%(name)s, %(count)d, %s), str.format ones ({date}, {0:.2f}),
# and HTML tags. A "%" that is none of these (nor "%%") breaks Python's formatting.
PLACEHOLDER = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]"
    r"|%[sdifrx]"
    r"|\{[A-Za-z_0-9]*(?:[!:][^{}]*)?\}"
)
STRAY_PERCENT = re.compile(r"%(?!%|\(|[sdifrx])")
TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*")


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def compile_catalogue(po: Path) -> Path:
    """Write ``po``'s .mo beside it; fuzzy entries are left out, as msgfmt does."""
    mo = po.with_suffix(".mo")
    catalog = _read(po)
    # Written aside, then moved into place: a crash or a second run never leaves half a
    # catalogue for Django (or a newer-looking file that is never rebuilt).
    partial = mo.with_suffix(".mo.partial")
    with partial.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)
    os.replace(partial, mo)
    return mo


def _texts(value: str | tuple[str, ...] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [text for text in value if text is not None]


def _signature(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    joined = "\n".join(texts)
    return sorted(set(PLACEHOLDER.findall(joined))), sorted(TAG.findall(joined))


def message_problems(message: Message) -> list[str]:
    """Why one entry would fail a reader: empty, fuzzy, or a placeholder or tag changed."""
    label = repr(message.id if isinstance(message.id, str) else message.id[0])[:80]
    translations = _texts(message.string)
    if message.fuzzy:
        return [f"fuzzy: {label}"]
    if not translations or not all(text.strip() for text in translations):
        return [f"untranslated: {label}"]
    # A plural's one Japanese form stands for every count: compare it with the plural.
    source = message.id if isinstance(message.id, str) else message.id[-1]
    source_marks, source_tags = _signature([source])
    for text in translations:
        printf_style = any(mark.startswith("%") for mark in source_marks)
        if printf_style and STRAY_PERCENT.search(text.replace("%%", "")):
            return [f"a lone % (write %% for a percent sign): {label}"]
        marks, tags = _signature([text])
        if marks != source_marks:
            return [f"placeholders {source_marks} became {marks}: {label}"]
        if tags != source_tags:
            return [f"HTML tags {source_tags} became {tags}: {label}"]
    return []


def catalogue_problems(po: Path) -> list[str]:
    problems = []
    for message in _read(po):
        if not message.id:  # the header
            continue
        where = po.relative_to(BASE_DIR)
        problems += [f"{where}: {problem}" for problem in message_problems(message)]
    return problems


def _keys(po: Path) -> set[tuple[str | None, str]]:
    return {
        (message.context, message.id if isinstance(message.id, str) else message.id[0])
        for message in _read(po)
        if message.id
    }


def missing_from_catalogues() -> list[str]:
    """Strings in the code that a catalogue lacks (runs makemessages on a scratch copy of
    the catalogues and puts them back)."""
    if shutil.which("xgettext") is None:
        raise SystemExit(
            "check --fresh needs GNU gettext's xgettext (Debian: apt-get install gettext)"
        )
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        saved = Path(scratch) / "locale"
        shutil.copytree(LOCALE_DIR, saved)
        try:
            languages = sorted({po.parent.parent.name for po in catalogues()})
            command = [
                sys.executable,
                "manage.py",
                "makemessages",
                "--no-location",
                "--no-obsolete",
            ]
            command += [f"--locale={language}" for language in languages]
            command += [f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORE]
            # A fixed command of this project's own, no input from outside.
            run = subprocess.run(  # noqa: S603
                command, cwd=BASE_DIR, capture_output=True, text=True, check=False
            )
            if run.returncode != 0:
                raise SystemExit(f"makemessages failed:\n{run.stderr.strip()}")
            for po in catalogues():
                before = saved / po.relative_to(LOCALE_DIR)
                new = _keys(po) - _keys(before) if before.exists() else _keys(po)
                problems += [
                    f"{po.relative_to(BASE_DIR)}: not in the catalogue yet: {key[1]!r}"[:160]
                    for key in sorted(new, key=str)
                ]
        finally:
            shutil.rmtree(LOCALE_DIR)
            shutil.copytree(saved, LOCALE_DIR)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.translations")
    commands = parser.add_subparsers(dest="command", required=True)
    compile_parser = commands.add_parser("compile", help="compile .po catalogues into .mo")
    compile_parser.add_argument("po", nargs="*", type=Path)
    check_parser = commands.add_parser("check", help="fail on untranslated or fuzzy entries")
    check_parser.add_argument(
        "--fresh", action="store_true", help="also fail on strings the catalogues lack"
    )
    args = parser.parse_args(argv)
    if args.command == "compile":
        for po in args.po or catalogues():
            compile_catalogue(po)
        return 0
    problems = [problem for po in catalogues() for problem in catalogue_problems(po)]
    if args.fresh:
        problems += missing_from_catalogues()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} translation problem(s): see above", file=sys.stderr)
        return 1
    checked = ", ".join(str(po.relative_to(BASE_DIR)) for po in catalogues())
    print(f"Translations complete: {checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
