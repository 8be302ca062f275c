from webinars.prefectures import Prefecture
from webinars.regions import (
    PLACES,
    PREFECTURE,
    REGION,
    place_for_prefecture,
    place_for_slug,
    regions,
)


def test_nine_regions_cover_the_47_prefectures_once_each():
    covered = [code for region in regions() for code in region.prefectures]

    assert [region.slug for region in regions()] == [
        "hokkaido", "tohoku", "kanto", "chubu", "kansai", "chugoku", "shikoku", "kyushu", "okinawa"
    ]  # fmt: skip
    assert sorted(covered) == sorted(str(code) for code in Prefecture)
    assert len(covered) == 47


def test_every_prefecture_has_a_page_in_lower_case_romaji():
    assert place_for_prefecture("JP-44").slug == "oita"
    assert place_for_prefecture("JP-44").kind == PREFECTURE
    assert place_for_prefecture("JP-44").region.slug == "kyushu"
    assert place_for_prefecture("JP-28").slug == "hyogo"
    assert all(slug.isascii() and slug.islower() for slug in PLACES)
    assert len(PLACES) == 9 + 45


def test_hokkaido_and_okinawa_are_one_page_each_for_region_and_prefecture():
    hokkaido = place_for_prefecture("JP-01")

    assert hokkaido is place_for_slug("hokkaido")
    assert hokkaido.kind == REGION
    assert hokkaido.parts == []
    assert place_for_prefecture("JP-47").slug == "okinawa"


def test_unknown_or_empty_places_are_none():
    assert place_for_slug("atlantis") is None
    assert place_for_prefecture("") is None
    assert place_for_prefecture("JP-99") is None
