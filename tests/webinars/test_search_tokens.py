"""Japanese search tokens: what is indexed for a text, what a term asks for, and the SQL
function of the indexes (PostgreSQL) giving the same tokens as Python states."""

import pytest
from django.db import connection

from webinars import search_tokens
from webinars.search_tokens import (
    folded,
    has_japanese,
    japanese_lines,
    japanese_runs,
    japanese_tokens,
    japanese_tsquery,
    normalised,
    tokens_decide,
    without_japanese,
)

# "JR" as typed with a Japanese keyboard's full-width letters (U+FF2A U+FF32).
FULL_WIDTH_JR = "\uff2a\uff32"

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL tokens and tsquery are PostgreSQL's"
)


def test_tokens_are_every_character_and_every_neighbouring_pair_of_each_run():
    assert japanese_tokens("熊野古道") == sorted(["熊", "野", "古", "道", "熊野", "野古", "古道"])
    # Runs end at anything not Japanese script, so no pair straddles "JR" or a space.
    assert japanese_tokens("JR東日本 の駅") == sorted(
        ["東", "日", "本", "東日", "日本", "の", "駅", "の駅"]
    )
    assert japanese_tokens("Kumamoto castle") == []
    assert japanese_tokens("") == []


def test_tokens_are_taken_after_nfkc_so_widths_do_not_matter():
    assert japanese_tokens("ｵﾝｾﾝ") == japanese_tokens("オンセン")
    # Voiced half-width kana compose into one character (ｶﾞ → ガ).
    assert japanese_runs("ｶﾞｲﾄﾞ") == ["ガイド"]
    assert japanese_runs("ＪＲ東日本") == ["東日本"]


def test_iteration_marks_and_rare_kanji_stay_in_their_run():
    assert japanese_runs("佐々木さん") == ["佐々木さん"]
    assert japanese_runs("𠮷野家") == ["𠮷野家"]


def test_a_term_asks_for_its_pairs_or_its_single_character():
    assert japanese_tsquery("熊野古道") == "'熊野' & '野古' & '古道'"
    assert japanese_tsquery("雪") == "'雪'"
    assert japanese_tsquery("JR東日本") == "'東日' & '日本'"
    assert japanese_tsquery("雪 雪") == "'雪'"
    assert japanese_tsquery("snow") == ""


def test_only_one_or_two_characters_of_japanese_alone_are_decided_by_the_tokens():
    assert tokens_decide("温泉")
    assert tokens_decide("雪")
    assert tokens_decide("ｵﾝ")
    assert not tokens_decide("熊野古道")
    assert not tokens_decide("JR東")
    assert not tokens_decide("温泉 津軽")
    assert not tokens_decide("snow")


def test_recheck_lines_keep_only_lines_with_japanese_normalised_and_folded():
    text = f"Welcome to Aomori.\n{FULL_WIDTH_JR}  東日本の駅\r\nｵﾝｾﾝ\n\nThe end."

    assert japanese_lines(text) == "jr 東日本の駅\nオンセン"
    assert folded("JR  東日本") == "jr 東日本"


def test_english_text_loses_its_japanese_runs_so_latin_words_beside_them_stay_words():
    assert without_japanese("JR東日本 and ＪＲ西日本") == "JR  and JR "


def test_normalised_text_has_no_control_characters():
    assert normalised("a\x00b\x1fc") == "a b c"
    assert normalised(f"{FULL_WIDTH_JR}\u3000ｱ") == "JR ア"
    assert has_japanese("ﾃｽﾄ")
    assert not has_japanese("🍣 test 「」")


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "熊野古道を歩く",
        f"JR東日本の駅と、ｵﾝｾﾝ旅館。{FULL_WIDTH_JR}西日本",
        "佐々木〆子 𠮷野家 ｶﾞｲﾄﾞ 〇〇町",
        "Only English here.",
        "",
        "ー・ヽゞ",
    ],
)
def test_the_sql_tokens_of_the_indexes_are_the_python_tokens(text):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ARRAY(SELECT lexeme FROM unnest({search_tokens.TOKENS_FUNCTION}(%s, %s)))",
            [text, "雪"],
        )
        sql_tokens = sorted(cursor.fetchone()[0])

    assert sql_tokens == japanese_tokens(f"{text}\n雪")


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("term", ["熊野古道", "JR東日本", "雪", "a'b\\c熊野"])
def test_the_tsquery_is_read_as_written(term):
    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(%s AS tsquery)::text", [japanese_tsquery(term)])

        assert cursor.fetchone()[0] == japanese_tsquery(term)
