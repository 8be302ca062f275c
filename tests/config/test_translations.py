"""The catalogue checks: an empty, fuzzy or broken translation is named; Babel's .mo is
what Django reads."""

from pathlib import Path

from babel.messages.catalog import Message
from django.utils import translation

from config import translations


def problems(msgid, msgstr, **flags) -> list[str]:
    message = Message(msgid, msgstr, flags={"fuzzy"} if flags.get("fuzzy") else set())
    return translations.message_problems(message)


def test_a_good_translation_has_no_problem():
    assert problems("Dear %(name)s,", "%(name)s 様") == []
    assert (
        problems("<strong>%(title)s</strong> is full.", "<strong>%(title)s</strong>は満席です。")
        == []
    )
    assert problems(("%(count)s place", "%(count)s places"), ("残り%(count)s席",)) == []


def test_empty_fuzzy_and_broken_translations_are_named():
    assert problems("Register", "")[0].startswith("untranslated")
    assert problems("Register", "   ")[0].startswith("untranslated")
    assert problems("Register", "登録", fuzzy=True)[0].startswith("fuzzy")
    assert "placeholders" in problems("Dear %(name)s,", "%(nom)s 様")[0]
    assert "placeholders" in problems("UK clocks change on {date}", "切り替え日")[0]
    assert "HTML tags" in problems("<a href='%(url)s'>Join</a>", "参加する %(url)s")[0]
    assert "lone %" in problems("%(count)s%% full", "%(count)s% 満席")[0]
    assert "placeholders" in problems("{total:,} seats", "{total} 席")[0]


def test_the_compiled_catalogue_is_what_django_reads(tmp_path: Path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        'msgctxt "heading of a list"\nmsgid "Speaker"\nmsgid_plural "Speakers"\n'
        'msgstr[0] "登壇者"\n',
        encoding="utf-8",
    )

    mo = translations.compile_catalogue(po)

    import gettext

    catalogue = gettext.GNUTranslations(mo.open("rb"))
    assert catalogue.npgettext("heading of a list", "Speaker", "Speakers", 2) == "登壇者"


def test_every_catalogue_of_the_project_is_complete():
    found = [
        problem
        for po in translations.catalogues()
        for problem in translations.catalogue_problems(po)
    ]

    assert translations.catalogues(), "no catalogue under locale/"
    assert found == []


def test_the_interface_speaks_japanese_from_the_catalogue():
    with translation.override("ja"):
        assert translation.gettext("Register") != "Register"
