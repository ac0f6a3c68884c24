"""The guidelines: read from TOML with every mistake named at its place, written back exactly;
the version in force for a pair of parties; what a request lacks; the deadlines it gets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.cooperation.guidelines import (
    DEFAULT,
    Guidelines,
    GuidelinesError,
    RequestIncomplete,
    deadlines_for,
    format_duration,
    in_force,
    missing_content,
    parse_guidelines,
    require_content,
    to_dict,
    to_toml,
)
from accord.cooperation.model import CONTENT_FIELDS, KINDS, URGENCIES, Deadlines, Request
from accord.durations import parse_duration

US = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
CN = "identity--28bb3599-77cd-4a82-a950-b5bc3caf07c4"
EVIDENCE = ("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",)
RU = "identity--5d2ab8a4-0a8e-4b7e-9c55-3f1f7cbd2f0e"
T0 = datetime(2016, 1, 1, tzinfo=UTC)


def parse(text: str, **options) -> Guidelines:
    return parse_guidelines(text, **{"version": 1, "effective": T0, **options})


def problems(text: str, **options) -> list[str]:
    with pytest.raises(GuidelinesError) as raised:
        parse(text, **options)
    assert str(raised.value) == "; ".join(raised.value.problems)
    return list(raised.value.problems)


def request(**changes) -> Request:
    fields = {"id": "x-accord-request--7f1c2a4e-5b3d-4e6f-8a9b-0c1d2e3f4a5b", "created": T0,
              "requester": US, "addressee": CN, "kind": "information",
              "category": "intrusion", "urgency": "urgent", "summary": "Scanning from AS64500"}
    return Request(**{**fields, **changes})


# --- the defaults and the TOML ---------------------------------------------------------------

def test_default_guidelines_are_the_agreed_starting_point():
    assert DEFAULT.version == 0 and DEFAULT.pair is None
    assert DEFAULT.effective == datetime(1970, 1, 1, tzinfo=UTC)
    assert DEFAULT.deadlines["urgent"] == Deadlines(timedelta(hours=24), timedelta(days=3))
    assert DEFAULT.deadlines["priority"] == Deadlines(timedelta(days=2), timedelta(days=10))
    assert DEFAULT.deadlines["routine"] == Deadlines(timedelta(days=7), timedelta(days=30))
    assert DEFAULT.required["prosecution"] == ("summary", "victims", "impact", "legal_basis",
                                               "evidence")
    assert DEFAULT.ladder == ("liaison officers", "hotline", "senior officials")


def test_an_empty_file_is_the_default_policy():
    assert parse("") == Guidelines(1, T0, None, DEFAULT.deadlines, DEFAULT.required,
                                   DEFAULT.ladder)


def test_what_the_file_leaves_out_falls_back_to_the_default():
    guidelines = parse("""
[urgency.urgent]
acknowledge = "PT2S"
[urgency.priority]
respond = "P12D"
[required]
information = ["evidence", "impact"]
[escalation]
ladder = ["duty officers", "hotline", "senior officials"]
""")
    assert guidelines.deadlines["urgent"] == Deadlines(timedelta(seconds=2), timedelta(days=3))
    assert guidelines.deadlines["priority"] == Deadlines(timedelta(days=2), timedelta(days=12))
    assert guidelines.deadlines["routine"] == DEFAULT.deadlines["routine"]
    # summary is always required; fields are kept in CONTENT_FIELDS order
    assert guidelines.required["information"] == ("summary", "impact", "evidence")
    assert guidelines.required["prosecution"] == DEFAULT.required["prosecution"]
    assert guidelines.ladder == ("duty officers", "hotline", "senior officials")


def test_short_durations_are_read_too():
    guidelines = parse('[urgency.routine]\nacknowledge = "90s"\nrespond = "3d"\n')
    assert guidelines.deadlines["routine"] == Deadlines(timedelta(seconds=90), timedelta(days=3))


def test_effective_is_kept_in_utc():
    beijing = datetime(2016, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    effective = parse("", effective=beijing).effective
    assert effective == T0 and effective.tzinfo is UTC


# --- mistakes, each at its place ---------------------------------------------------------------

DURATION_HINT = "(write ISO 8601 such as P3D or PT24H, or 90s, 12h, 3d)"


@pytest.mark.parametrize("text, problem", [
    ('[urgency.urgent]\nrespond = "P3X"',
     f'urgency.urgent.respond: "P3X" is not a duration {DURATION_HINT}'),
    ("[urgency.urgent]\nrespond = 3",
     f"urgency.urgent.respond: 3 is not a duration {DURATION_HINT}"),
    ('[urgency.urgent]\nrespond = "P99999999999D"',
     f'urgency.urgent.respond: "P99999999999D" is not a duration {DURATION_HINT}'),
    ('[urgency.urgent]\nacknowledge = "PT0S"',
     'urgency.urgent.acknowledge: "PT0S" is not longer than zero'),
    ('[urgency.urgent]\nacknowledge = "P1D"\nreply = "P3D"',
     "urgency.urgent.reply: unknown key (one of acknowledge, respond)"),
    ('[urgency.urgent]\nacknowledge = "P2D"\nrespond = "P1D"',
     "urgency.urgent: respond (P1D) is shorter than acknowledge (P2D)"),
    ('[urgency.urgent]\nrespond = "PT12H"',
     "urgency.urgent: respond (PT12H) is shorter than acknowledge (P1D, the default)"),
    ('[urgency.critical]\nacknowledge = "PT1H"',
     "urgency.critical: unknown urgency (one of routine, priority, urgent)"),
    ("[urgency]\nurgent = 3",
     "urgency.urgent: 3 is not a table (write acknowledge and respond under [urgency.urgent])"),
    ('urgency = "fast"', 'urgency: "fast" is not a table (write it as [urgency])'),
    ('[required]\ninformation = ["summary", "colour"]',
     'required.information: "colour" is not a request field (one of '
     + ", ".join(CONTENT_FIELDS) + ")"),
    ('[required]\ninformation = "evidence"',
     'required.information: "evidence" is not a list of request fields'),
    ('[required]\nespionage = ["summary"]',
     "required.espionage: unknown kind of request (one of " + ", ".join(KINDS) + ")"),
    ("[escalation]\nladder = []", "escalation.ladder: [] is not a non-empty list of names"),
    ('[escalation]\nladder = ["hotline", " "]',
     'escalation.ladder: level 2, " ", is not a name'),
    ('[escalation]\nladder = ["hotline", "ministers", "hotline"]',
     'escalation.ladder: "hotline" is on the ladder twice'),
    ('[escalation]\nladder = ["hotline"]\nrungs = 3',
     "escalation.rungs: unknown key (only ladder)"),
    ("colour = 1",
     "colour: unknown section (one of urgency, required, escalation, languages)"),
])
def test_a_mistake_is_named_at_its_place(text, problem):
    assert problems(text) == [problem]


def test_every_mistake_is_named_at_once():
    found = problems('[urgency.urgent]\nrespond = "P3X"\n[required]\nmitigation = ["colour"]\n')
    assert [p.split(":")[0] for p in found] == ["urgency.urgent.respond", "required.mitigation"]


def test_a_toml_syntax_error_names_its_line():
    [found] = problems('[urgency.urgent]\nacknowledge = "PT1H"\nrespond = P3D\n')
    assert found.startswith("the guidelines are not valid TOML: ")
    assert "line 3" in found


@pytest.mark.parametrize("options, problem", [
    ({"version": -1}, "version: -1 is not a whole number 0 or more"),
    ({"effective": datetime(2016, 1, 1)},
     "effective: 2016-01-01T00:00:00 has no time zone (give it in UTC)"),
    ({"pair": frozenset({US})},
     f"pair: ['{US}'] is not two different identity ids"),
    ({"pair": frozenset({US, "x-accord-request--7f1c2a4e-5b3d-4e6f-8a9b-0c1d2e3f4a5b"})},
     f"pair: ['{US}', 'x-accord-request--7f1c2a4e-5b3d-4e6f-8a9b-0c1d2e3f4a5b'] is not two "
     "different identity ids"),
])
def test_a_bad_version_time_or_pair_is_refused(options, problem):
    assert problems("", **options) == [problem]


# --- writing back --------------------------------------------------------------------------------

DURATIONS = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=10**6))


@st.composite
def guidelines(draw: st.DrawFn) -> Guidelines:
    deadlines = {}
    for urgency in URGENCIES:
        acknowledge = draw(DURATIONS)
        deadlines[urgency] = Deadlines(acknowledge, acknowledge + draw(
            st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10**6))))
    required = {kind: tuple(name for name in CONTENT_FIELDS if name == "summary"
                            or draw(st.booleans())) for kind in KINDS}
    ladder = draw(st.lists(st.text(min_size=1).filter(str.strip), min_size=1, max_size=4,
                           unique=True))
    pair = draw(st.none() | st.just(frozenset({US, CN})))
    effective = draw(st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(UTC)))
    return Guidelines(draw(st.integers(0, 10**6)), effective, pair, deadlines, required,
                      tuple(ladder))


@given(guidelines())
def test_guidelines_written_as_toml_read_back_equal(policy: Guidelines):
    text = to_toml(policy)
    assert parse_guidelines(text, version=policy.version, effective=policy.effective,
                            pair=policy.pair) == policy


@given(DURATIONS)
def test_a_duration_written_in_iso_8601_reads_back_equal(duration: timedelta):
    assert parse_duration(format_duration(duration)) == duration


def test_durations_are_written_in_iso_8601():
    assert format_duration(timedelta(days=3)) == "P3D"
    assert format_duration(timedelta(hours=12)) == "PT12H"
    assert format_duration(timedelta(days=1, seconds=90.5)) == "P1DT1M30.5S"
    assert format_duration(timedelta(0)) == "PT0S"


def test_guidelines_as_json_name_their_version_time_and_pair():
    policy = parse('[urgency.urgent]\nacknowledge = "PT2S"\n', version=4, pair=frozenset({CN, US}))
    data = json.loads(json.dumps(to_dict(policy)))
    assert data["version"] == 4
    assert data["effective"] == "2016-01-01T00:00:00.000000Z"
    assert data["pair"] == sorted([US, CN])
    assert data["urgency"]["urgent"] == {"acknowledge": "PT2S", "respond": "P3D"}
    assert data["required"]["information"] == ["summary", "evidence"]
    assert data["escalation"] == {"ladder": list(DEFAULT.ladder)}
    assert to_dict(DEFAULT)["pair"] is None


# --- the version in force ------------------------------------------------------------------------

def version(number: int, effective: datetime, pair: frozenset[str] | None = None) -> Guidelines:
    return parse("", version=number, effective=effective, pair=pair)


def test_the_pair_version_in_force_wins_over_the_node_wide_one():
    node_wide = version(1, T0)
    pair_old = version(2, T0 + timedelta(days=1), frozenset({US, CN}))
    pair_new = version(3, T0 + timedelta(days=5), frozenset({US, CN}))
    versions = [pair_new, node_wide, pair_old]
    assert in_force(versions, T0 + timedelta(days=6), CN, US) is pair_new
    assert in_force(versions, T0 + timedelta(days=3), US, CN) is pair_old
    assert in_force(versions, T0 + timedelta(days=1), US, CN) is pair_old  # effective at once
    assert in_force(versions, T0, US, CN) is node_wide
    assert in_force(versions, T0 + timedelta(days=6), US, RU) is node_wide


def test_the_latest_node_wide_version_applies_and_before_any_the_default():
    first, second = version(1, T0), version(2, T0 + timedelta(days=10))
    assert in_force([second, first], T0 + timedelta(days=11), US, CN) is second
    assert in_force([second, first], T0 + timedelta(days=9), US, CN) is first
    assert in_force([second, first], T0 - timedelta(seconds=1), US, CN) is DEFAULT
    assert in_force([], T0, US, CN) is DEFAULT


def test_of_versions_effective_at_once_the_higher_number_wins():
    assert in_force([version(5, T0), version(4, T0)], T0, US, CN).version == 5


# --- content and deadlines -----------------------------------------------------------------------

def test_missing_content_is_listed_in_field_order():
    bare = request(kind="prosecution", summary=" ")
    assert missing_content(bare, DEFAULT) == ["summary", "victims", "impact", "legal_basis",
                                              "evidence"]
    full = request(kind="prosecution", victims=("Acme",), impact="designs stolen",
                   legal_basis="MLAT", evidence=EVIDENCE)
    assert missing_content(full, DEFAULT) == []


def test_activity_means_a_start_and_blank_victims_are_no_victims():
    policy = parse('[required]\ninvestigation = ["activity", "victims"]\n')
    assert missing_content(request(kind="investigation", victims=(" ",),
                                   activity_end=T0), policy) == ["activity", "victims"]
    assert missing_content(request(kind="investigation", victims=("Acme",),
                                   activity_start=T0), policy) == []


def test_summary_is_required_whatever_the_guidelines_say():
    policy = Guidelines(7, T0, None, DEFAULT.deadlines, {}, DEFAULT.ladder)
    assert missing_content(request(summary=""), policy) == ["summary"]


def test_an_incomplete_request_is_refused_naming_what_it_lacks():
    with pytest.raises(RequestIncomplete) as raised:
        require_content(request(kind="prosecution", evidence=EVIDENCE), parse("", version=3))
    assert str(raised.value) == ("a prosecution request must carry: victims, impact, "
                                 "legal_basis (guidelines version 3)")
    assert raised.value.missing == ("victims", "impact", "legal_basis")
    assert raised.value.about == raised.value.missing  # the fields it is refused for
    with pytest.raises(RequestIncomplete, match="^an information request must carry: evidence "):
        require_content(request(), DEFAULT)
    require_content(request(evidence=EVIDENCE), DEFAULT)


def test_deadlines_run_from_receipt_by_urgency():
    received = datetime(2016, 6, 14, 8, 15, 3, 250000, tzinfo=UTC)
    policy = parse('[urgency.urgent]\nacknowledge = "PT2S"\nrespond = "PT5S"\n')
    assert deadlines_for(request(), policy, received) == (received + timedelta(seconds=2),
                                                          received + timedelta(seconds=5))
    assert deadlines_for(request(urgency="routine"), policy, received) == (
        received + timedelta(days=7), received + timedelta(days=30))
