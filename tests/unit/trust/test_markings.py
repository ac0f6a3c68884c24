from accord.trust.markings import (
    ACCORD_MARKING_EXTENSION,
    MARKING_FOR,
    Tlp,
    may_forward,
    may_read,
    recipients_of,
    tlp_of,
)

US, CN, RU = "identity--us", "identity--cn", "identity--ru"


def marked(*levels: Tlp, granular: Tlp | None = None) -> dict:
    obj: dict = {"type": "indicator", "object_marking_refs": [MARKING_FOR[lv] for lv in levels]}
    if granular is not None:
        obj["granular_markings"] = [{"marking_ref": MARKING_FOR[granular],
                                     "selectors": ["description"]}]
    return obj


def test_levels_read_from_tlp_2_and_tlp_1_markings():
    assert tlp_of(marked(Tlp.GREEN)) is Tlp.GREEN
    assert tlp_of({"object_marking_refs": [
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]}) is Tlp.CLEAR  # TLP 1.0 WHITE
    assert tlp_of({"object_marking_refs": [
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]}) is Tlp.RED  # TLP 1.0 RED
    assert tlp_of({"type": "indicator"}) is None


def test_the_strictest_marking_wins_including_granular_ones():
    assert tlp_of(marked(Tlp.CLEAR, Tlp.AMBER)) is Tlp.AMBER
    assert tlp_of(marked(Tlp.GREEN, granular=Tlp.RED)) is Tlp.RED


def test_recipients_come_from_the_accord_extension():
    obj = {"extensions": {ACCORD_MARKING_EXTENSION: {"extension_type": "property-extension",
                                                     "recipients": [CN, 7]}}}
    assert recipients_of(obj) == frozenset({CN})
    assert recipients_of({"extensions": {"other": {}}}) == frozenset()


def test_who_may_read_each_level():
    for level in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER):
        assert may_read(RU, level=level, creator=US, poster=US, recipients=frozenset())
    for level in (Tlp.AMBER_STRICT, Tlp.RED):
        assert may_read(US, level=level, creator=US, poster=US, recipients=frozenset())
        assert may_read(CN, level=level, creator=US, poster=US, recipients=frozenset({CN}))
        assert not may_read(RU, level=level, creator=US, poster=US, recipients=frozenset({CN}))
        assert may_read(RU, level=level, creator=US, poster=RU, recipients=frozenset())


def test_only_clear_and_green_travel_on_and_amber_with_its_creators_consent():
    assert may_forward(Tlp.CLEAR) and may_forward(Tlp.GREEN)
    assert not may_forward(Tlp.AMBER) and may_forward(Tlp.AMBER, creator_permits=True)
    assert not may_forward(Tlp.AMBER_STRICT, creator_permits=True)
    assert not may_forward(Tlp.RED, creator_permits=True)


def test_labels():
    assert Tlp.AMBER_STRICT.label == "TLP:AMBER+STRICT"
