from accord.screening.names import (
    MAX_READINGS,
    fold,
    org_name,
    person_name,
    pinyin_syllable_count,
)


def test_fold_removes_case_and_tone_marks():
    assert fold("Wáng Dōng") == "wang dong"
    assert fold("Lǚ") == "lu"


def test_fold_reads_full_width_letters_as_ascii():
    assert fold("ＷＡＮＧ") == "wang"


def test_hyphens_apostrophes_and_case_join_a_given_name():
    forms = {person_name(t).forms for t in ["Sun Kai-liang", "SUN KAILIANG", "Sun Kai’liang"]}
    assert forms == {(("sun", "kailiang"),)}


def test_a_given_name_in_two_words_is_also_read_joined():
    assert ("sun", "kailiang") in person_name("Sun Kai Liang").forms


def test_name_keys_do_not_depend_on_order_or_spacing():
    assert person_name("Wang Dong").keys == person_name("Dong Wang").keys
    assert "wangdong" in person_name("Wangdong").keys


def test_chinese_name_is_read_as_surname_and_given_name():
    name = person_name("孙凯亮")
    assert name.forms == (("sun", "kailiang"),)
    assert name.reading == "sun kailiang"


def test_surname_reading_comes_first_and_the_common_reading_is_kept():
    assert person_name("单雄信").forms == (("shan", "xiongxin"), ("dan", "xiongxin"))


def test_a_name_of_many_two_reading_surnames_reads_a_bounded_number_of_ways():
    # Each 单 reads shan or dan: twelve of them would be 4,096 readings (2^n: at 28
    # characters, 32 s per screen, for every party whose watch list held it as an alias).
    name = person_name(" ".join(["单"] * 12))
    # (each reading also with its given names joined: three forms at most)
    assert 1 <= len(name.forms) <= 3 * MAX_READINGS and len(name.keys) <= 24 * len(name.forms)
    assert name.forms[0] == ("shan",) * 12  # the likeliest reading is kept first
    two = person_name("单雄信 曾国藩").forms
    assert two[0] == ("shan", "xiongxin", "zeng", "guofan")
    assert {("dan", "xiongxin", "zeng", "guofan"), ("shan", "xiongxin", "ceng", "guofan")} \
        <= set(two)


def test_compound_surname_stays_one_word():
    assert person_name("欧阳修").forms == (("ouyang", "xiu"),)


def test_legal_forms_are_kept_apart_from_what_names_a_firm():
    for text in [
        "Chengdu 404 Network Technology Co., Ltd.",
        "Chengdu 404 Network Technology Company Limited",
        "CHENGDU 404 NETWORK TECH CO LTD",
    ]:
        name = org_name(text)
        assert name.distinctive == ("404",)
        assert name.generic == {"network", "technology"}
        assert name.places == {"chengdu"}


def test_legal_form_alone_leaves_nothing_distinctive():
    assert org_name("Co., Ltd.").distinctive == ()
    assert org_name("有限公司").distinctive == ()


def test_chinese_firm_name_is_split_into_known_words_and_its_pinyin_core():
    name = org_name("北京永信至诚科技股份有限公司")
    assert name.distinctive == ("yongxinzhicheng",)
    assert name.generic == {"science", "technology"}
    assert name.places == {"beijing"}
    assert name.legal == ("gufen", "youxian", "gongsi")


def test_firm_of_generic_words_only_is_named_by_them():
    assert org_name("Network Technology Co., Ltd.").distinctive == ("network", "technology")


def test_pinyin_syllables_are_counted_and_typos_do_not_read_as_pinyin():
    assert pinyin_syllable_count("kailiang") == 2
    assert pinyin_syllable_count("xiaoruizhi") == 3
    assert pinyin_syllable_count("kailaing") is None


def test_a_syllable_inside_a_word_never_starts_with_a_vowel_a_e_o():
    assert pinyin_syllable_count("haroan") is None
