"""Search text as it is matched (NFKC), and Japanese script cut into tokens PostgreSQL indexes.

PostgreSQL here cannot index Japanese by itself: under the C.UTF-8 locale its text-search
parser takes a whole run of Japanese script as one "word" (熊野古道を歩く), pg_trgm makes
no trigrams from it, and neither pg_bigm nor PGroonga is installed. So Japanese is cut into
tokens by our own SQL function, ``webinars_japanese_tokens`` (migration 0020): every
character and every pair of neighbouring characters of each run of Japanese script
(熊野古道 → 熊 野 古 道 熊野 野古 古道), as a ``tsvector`` made with ``array_to_tsvector``
(no parser). GIN indexes over that function hold the tokens of the seminars' text and of
the recordings' Japanese lines. A term becomes the AND of its pairs
(``'熊野' & '野古' & '古道'``, read by the ``tsquery`` input function, no parser either),
which those indexes answer.

The AND of pairs is not a phrase match: a text holding 熊野, 野古 and 古道 apart matches
熊野古道 too. So a term the tokens cannot decide alone (three characters or more, or mixed
with other script, like JR東日本) is rechecked by substring on the rows the index found;
one or two characters of Japanese (温泉, 雪) are decided by the index alone, exactly.

Text and terms are NFKC-normalised first, so half-width katakana (ｵﾝｾﾝ) and full-width
Latin letters match オンセン and JR whichever side they are on.

:func:`japanese_tokens` states in Python what the SQL function computes; the tests hold
the two equal, so the terms built here always ask for tokens the indexes hold.
"""

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.search import SearchQueryField, SearchVector, SearchVectorField
from django.db.models import BooleanField, Expression, F, Func, Q, Value

from webinars.models.recordings import SEARCH_CONFIG

# Kana (with the prolonged sound mark), CJK ideographs (the extensions and compatibility
# forms too), 々〆〇, and half-width katakana (NFKC widens it; listed for raw text).
# Migration 0020's SQL function holds the same class: change both or neither.
JAPANESE_CHARACTERS = (
    "\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0002fa1f"
)
_JAPANESE = re.compile(f"[{JAPANESE_CHARACTERS}]")
_JAPANESE_RUN = re.compile(f"[{JAPANESE_CHARACTERS}]+")

# A term longer than this many pairs asks the index for its first ones only: enough to
# narrow the rows to a few, and the recheck reads the whole term (a pasted page of text
# would otherwise ask for thousands).
MAX_QUERY_TOKENS = 32

# The SQL function (migration 0020) that makes the tokens of its arguments; the GIN
# expression indexes over it are webinars_seminar_japanese_gin (title, summary and
# description in both languages) and webinars_recording_japanese_gin (search_text_japanese).
TOKENS_FUNCTION = "webinars_japanese_tokens"


def normalised(text: str) -> str:
    """Text as search matches it: NFKC (full-width Latin letters and digits as ASCII,
    half-width katakana as full-width) and control characters as spaces.

    NUL and other control characters cannot be sent to PostgreSQL and mean nothing in a search.
    """
    text = unicodedata.normalize("NFKC", text)
    return "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)


def has_japanese(text: str) -> bool:
    return bool(_JAPANESE.search(text))


def japanese_runs(text: str) -> list[str]:
    """The runs of Japanese script in ``text`` once normalised: "JR東日本の駅" → ["東日本の駅"]."""
    return _JAPANESE_RUN.findall(normalised(text))


def japanese_tokens(text: str) -> list[str]:
    """Every character and every pair of neighbouring characters of each Japanese run,
    once each, sorted: what the indexes hold for ``text`` (computed there in SQL)."""
    tokens: set[str] = set()
    for run in japanese_runs(text):
        tokens.update(run)
        tokens.update(run[start : start + 2] for start in range(len(run) - 1))
    return sorted(tokens)


def _term_tokens(term: str) -> list[str]:
    """The tokens a term needs: the pairs of each run (a one-character run itself), at
    most ``MAX_QUERY_TOKENS``."""
    tokens: list[str] = []
    for run in japanese_runs(term):
        pieces = [run] if len(run) == 1 else [run[n : n + 2] for n in range(len(run) - 1)]
        tokens.extend(piece for piece in pieces if piece not in tokens)
    return tokens[:MAX_QUERY_TOKENS]


def japanese_tsquery(term: str) -> str:
    """``'熊野' & '野古' & '古道'`` for 熊野古道: ``tsquery`` input, every token quoted.

    Runs hold Japanese script only, but quoting stays safe for any text: a quote is
    doubled and a backslash escaped. Empty when the term has no Japanese.
    """
    quoted = (
        "'" + token.replace("\\", "\\\\").replace("'", "''") + "'" for token in _term_tokens(term)
    )
    return " & ".join(quoted)


def tokens_decide(term: str) -> bool:
    """Whether the index alone answers ``term`` exactly: one or two characters of Japanese
    and nothing else (温泉, 雪); anything longer or mixed needs the substring recheck."""
    text = normalised(term).strip()
    runs = japanese_runs(text)
    return len(runs) == 1 and runs[0] == text and len(text) <= 2


def folded(text: str) -> str:
    """Case-folded with single spaces: how the recheck compares a term and a line."""
    return " ".join(text.casefold().split())


def japanese_lines(text: str) -> str:
    """The lines of ``text`` that hold Japanese script, normalised and folded: the recheck
    text of a recording. A term cannot span lines, and a term with Japanese can only be
    found on a line with Japanese, so the other lines (most of an English transcript)
    are left out."""
    # Split first: normalising turns line breaks (control characters) into spaces.
    lines = (folded(normalised(line)) for line in text.splitlines())
    return "\n".join(line for line in lines if has_japanese(line))


def without_japanese(text: str) -> str:
    """``text`` normalised with its Japanese runs as spaces, for the English vector: the
    parser would read "JR東日本" as one word and never find "JR"; the runs are indexed
    from the Japanese lines instead."""
    return _JAPANESE_RUN.sub(" ", normalised(text))


class _JapaneseQuery(Func):
    """A ``tsquery`` read by its input function (``CAST``), not by ``to_tsquery``'s parser."""

    template = "CAST(%(expressions)s AS tsquery)"
    output_field = SearchQueryField()


class _Matches(Func):
    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()


def japanese_match(vector: Expression | str, term: str) -> Q:
    """``vector @@ '熊野' & '野古' & '古道'``: the rows whose tokens hold every pair of the
    term (candidates; see :func:`tokens_decide`). ``vector`` is a field name or an expression."""
    if isinstance(vector, str):
        vector = F(vector)
    return Q(_Matches(vector, _JapaneseQuery(Value(japanese_tsquery(term)))))


def japanese_tokens_of_columns(columns: Iterable[str]) -> Func:
    """``webinars_japanese_tokens(col, ...)``: the tokens of these columns, spelled as the
    expression index over exactly these columns in this order is, so the planner reads it."""
    return Func(
        *(F(column) for column in columns),
        function=TOKENS_FUNCTION,
        output_field=SearchVectorField(),
    )


def search_index_values(parts: dict[str, str]) -> dict[str, Any]:
    """The search columns of a recording from its text by weight (``{"A": ..., "B": ...}``):
    the English vector, and the Japanese lines that the Japanese index reads its tokens
    from and the recheck reads.

    For ``Recording.objects.filter(...).update(**values)`` on PostgreSQL.
    """
    vector = None
    for weight, text in parts.items():
        part = SearchVector(Value(without_japanese(text)), weight=weight, config=SEARCH_CONFIG)
        vector = part if vector is None else vector + part
    return {
        "search_vector": vector,
        "search_text_japanese": japanese_lines("\n".join(parts.values())),
    }
