"""Names in Wade–Giles read as pinyin: Taiwan's passports, older records and sanctions lists."""

from __future__ import annotations

import pytest

from accord.screening import Listed, Screener
from accord.screening.names import pinyin_syllable_count
from accord.screening.romanisations import MAX_READINGS, readings, syllable


def is_pinyin(token: str) -> bool:
    return pinyin_syllable_count(token) is not None


@pytest.mark.parametrize(("wade_giles", "pinyin"), [
    ("ch'ing", "qing"), ("ching", "jing"), ("chih", "zhi"), ("ch'ih", "chi"), ("shih", "shi"),
    ("jih", "ri"), ("hsiao", "xiao"), ("hsv", "xu"), ("hsu", "xu"), ("tzu", "zi"),
    ("ssu", "si"), ("tsu", "zu"), ("ts'ai", "cai"), ("tsung", "zong"), ("kuo", "guo"),
    ("ko", "ge"), ("k'o", "ke"), ("ho", "he"), ("to", "duo"), ("lo", "luo"), ("po", "bo"),
    ("jo", "ruo"), ("kuei", "gui"), ("lien", "lian"), ("hsieh", "xie"), ("yen", "yan"),
    ("yu", "you"), ("yv", "yu"), ("yung", "yong"), ("chv", "ju"), ("ch'van", "quan"),
    ("hsiung", "xiong"), ("erh", "er"), ("i", "yi"), ("yeh", "ye"), ("t'ien", "tian"),
])
def test_a_wade_giles_syllable_reads_as_its_pinyin(wade_giles, pinyin):
    assert syllable(wade_giles) == pinyin


@pytest.mark.parametrize("not_wade_giles", ["dong", "zhang", "xiao", "qing", "bai", "ki",
                                            "shi", "hsa", "gong", "cai"])
def test_what_wade_giles_cannot_write_is_no_syllable_of_it(not_wade_giles):
    assert syllable(not_wade_giles) is None


def test_an_unmarked_consonant_also_reads_as_if_its_apostrophe_were_dropped():
    assert syllable("chang", aspirated=True) == "chang"
    assert syllable("tse", aspirated=True) == "ce"
    assert syllable("wang", aspirated=True) is None  # w has no aspirated kin


@pytest.mark.parametrize(("name", "first"), [
    ("Teng Hsiao-p'ing", ["deng", "xiaoping"]),
    ("Teng Hsiao-p’ing", ["deng", "xiaoping"]),  # a typographic apostrophe
    ("Mao Tse-tung", ["mao", "zedong"]),
    ("Chou En-lai", ["zhou", "enlai"]),
    ("HSU Chin-lung", ["xu", "jinlong"]),
    ("Yüan Shih-k'ai", ["yuan", "shikai"]),
    ("Huang Chen-yu", ["huang", "zhenyou"]),  # and zhenyu: a dropped diaeresis
])
def test_a_name_reads_as_pinyin_the_likeliest_first(name, first):
    found = readings(name, is_pinyin)
    assert found[0] == first
    assert len(found) <= MAX_READINGS


@pytest.mark.parametrize("name", ["Wang Dong", "Sun Kailiang", "Zhang Wei", "Li Ming",
                                  "John Smith", "Wang Wei", "", "'-"])
def test_a_name_that_is_pinyin_or_no_wade_giles_has_no_reading(name):
    assert readings(name, is_pinyin) == []


def test_a_hostile_name_of_many_syllables_reads_a_bounded_number_of_ways():
    name = " ".join(["Chang-ch'ing-chou-t'ang"] * 60)
    assert len(readings(name, is_pinyin)) == MAX_READINGS
    assert readings("chang-" * 50 + "chang", is_pinyin) == []  # no given name is that long


@pytest.fixture(scope="module")
def screener():
    return Screener([Listed("deng", "Deng Xiaoping", (), "individual"),
                     Listed("mao", "Mao Tse-tung", (), "individual"),
                     Listed("lu", "Lü Xiulian", (), "individual"),
                     Listed("zhang", "Zhang Wei", (), "individual"),
                     Listed("hsu", "Xu Zhangwei", (), "individual"),
                     Listed("bing", "Li Bing", (), "individual")])


@pytest.mark.parametrize(("query", "expected", "why"), [
    ("Teng Hsiao-p'ing", "deng",
     "'Teng Hsiao-p'ing' read from Wade–Giles as pinyin 'deng xiaoping'"),
    ("Mao Zedong", "mao", "'Mao Tse-tung' read from Wade–Giles as pinyin 'mao zedong'"),
    ("毛泽东", "mao", "'Mao Tse-tung' read from Wade–Giles as pinyin 'mao zedong'"),
    ("Hsu Chang-wei", "hsu", "'Hsu Chang-wei' read from Wade–Giles as pinyin 'xu zhangwei'"),
])
def test_a_name_in_another_romanisation_matches_below_one_written_alike(
        screener, query, expected, why):
    [found] = screener.screen(query)
    assert found.id == expected and found.match and found.score == 0.88
    assert "the same name in another romanisation: " + why in found.why


@pytest.mark.parametrize("query", ["Lyu Xiulian", "Lv Xiulian", "LÜ Xiulian"])
def test_lu_as_passports_and_keyboards_write_it_is_the_same_name(screener, query):
    [found] = screener.screen(query)
    assert found.id == "lu" and found.score == 1.0


def test_a_wade_giles_name_of_someone_else_matches_no_one(screener):
    assert [m for m in screener.screen("Chou En-lai") if m.match] == []


@pytest.mark.parametrize(("query", "listed"), [
    ("Chang Wei", "Zhang Wei"), ("Li Ping", "Li Bing"), ("Chou En-lai", "Zhou Enlai")])
def test_a_name_that_is_pinyin_as_written_too_is_shown_as_more_likely_another_person(
        query, listed):
    # Read from Wade–Giles, Li Ping is li bing; but Li Ping is a pinyin name of its own.
    [found] = Screener([Listed("x", listed, (), "individual")]).screen(query)
    assert not found.match and found.score == 0.80
    assert found.why.endswith("but it is pinyin as written too: more likely another person "
                              "(score 0.80)")


@pytest.mark.parametrize(("name", "unmistakable"), [
    ("Teng Hsiao-p'ing", True), ("Teng Hsiao-ping", True), ("Mao Tse-tung", True),
    ("Yü Ta-wei", True), ("Ch'en Kang", True), ("Chang Wei", False), ("Li Ping", False),
    ("Chou En-lai", False), ("Wang Tao", False)])
def test_what_only_wade_giles_writes_is_told_from_pinyin(name, unmistakable):
    from accord.screening.romanisations import is_unmistakable

    assert is_unmistakable(name, is_pinyin) is unmistakable
