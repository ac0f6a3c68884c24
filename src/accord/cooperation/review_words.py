"""The review report's words in the reader's language: labels, the vocabularies' names, the
definitions. Figures are formatted here too, the same way in every language (the two
delegations must read the same numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from accord.cooperation.review import DirectionFigures, Review
from accord.i18n.catalogue import catalogue

# The report's languages: one of the catalogue's, or both side by side.
REPORT_LANGUAGES = ("en", "zh-Hans", "both")


class Words:
    """Messages of one language; `_` is one of Babel's keywords, so the extractor finds them."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._catalogue = catalogue(language)

    def _(self, message: str, **values: Any) -> str:
        text = self._catalogue.gettext(message)
        return text.format(**values) if values else text


def languages_of(choice: str) -> tuple[str, ...]:
    """The languages a report is written in: ("en",), ("zh-Hans",) or both, English first."""
    if choice not in REPORT_LANGUAGES:
        raise ValueError(f"unknown report language {choice!r}: choose one of "
                         f"{', '.join(REPORT_LANGUAGES)}")
    return ("en", "zh-Hans") if choice == "both" else (choice,)


def definitions(w: Words) -> tuple[tuple[str, str], ...]:
    """What each figure means, in plain words; printed under every human-readable rendering."""
    return (
        (w._("Period"), w._(
            "A request belongs to the period when the addressed party's node received it at or "
            "after the start and before the end (the end is not included). A request that was "
            "never received is placed by the time it was created.")),
        (w._("Clock"), w._(
            "Every time is measured from the moment the addressed party's node received the "
            "request, as fixed in its receipt, to the moment the act reached the other party's "
            "node, as fixed in that node's receipt of the act (an act without one: the time it "
            "says it was made). The deadlines were fixed in the request's receipt, from the "
            "guidelines in force then.")),
        (w._("Backdated"), w._(
            "An act that says it was made more than five minutes before it reached the other "
            "party's node. It is timed by when it arrived all the same; the count shows whose "
            "clock, or whose word, was wrong.")),
        (w._("On time"), w._(
            "An acknowledgement or answer made at or before its deadline is on time; exactly at "
            "the deadline is on time, one microsecond later is late. A status report or an "
            "answer also counts as an acknowledgement.")),
        (w._("Percentages"), w._(
            "On-time percentages are of all requests of the period, including those still open "
            "and those withdrawn, rounded half up to one decimal.")),
        (w._("Median and 90th percentile"), w._(
            "The median is the middle time (the mean of the two middle times when their number "
            "is even); the 90th percentile is the smallest time within which at least 90% were "
            "made (nearest rank: the ceil(0.9 n)-th smallest). Both in hours, computed from "
            "whole microseconds and rounded half up to two decimals.")),
        (w._("Open and overdue"), w._(
            "Open: neither answered nor withdrawn when the review was generated. Overdue: open, "
            "and a deadline not met has passed.")),
        (w._("Escalations"), w._(
            "Every escalation recorded for the requests of the period, at any level of the "
            "escalation ladder (whether or not a hotline was notified), raised automatically "
            "when a deadline passed or by hand.")),
        (w._("Rating"), w._(
            "The requesting party's latest rating of the answer, from 1 (useless) to 5 "
            "(complete and timely); the mean is rounded half up to two decimals.")),
        (w._("Exercises"), w._(
            "Requests marked as exercises (drills) are reported apart and counted in no other "
            "figure.")),
    )


def term(w: Words, code: str) -> str:
    """A vocabulary word (kind, category, urgency, outcome, escalation reason) in words."""
    names = {
        "information": w._("information"), "preservation": w._("preservation"),
        "investigation": w._("investigation"), "mitigation": w._("mitigation"),
        "prosecution": w._("prosecution"), "intrusion": w._("intrusion"),
        "ip-theft": w._("theft of intellectual property"), "ddos": w._("denial of service"),
        "ransomware": w._("ransomware"), "fraud": w._("fraud"),
        "child-abuse": w._("child abuse"), "terrorist-misuse": w._("terrorist misuse"),
        "other": w._("other"), "routine": w._("routine"), "priority": w._("priority"),
        "urgent": w._("urgent"), "information-provided": w._("information provided"),
        "action-taken": w._("action taken"), "no-information-found": w._("no information found"),
        "declined": w._("declined"), "referred": w._("referred"),
        "acknowledgement-overdue": w._("acknowledgement overdue"),
        "response-overdue": w._("response overdue"), "disputed": w._("disputed"),
        "manual": w._("by hand"),
    }
    return names.get(code, code.replace("-", " "))


def bucket(w: Words, label: str) -> tuple[str, str]:
    """A histogram bucket ("<=6h") as a short axis label and in words."""
    buckets = {
        "<=1h": (w._("≤1 h"), w._("up to 1 hour")), "<=6h": (w._("≤6 h"), w._("up to 6 hours")),
        "<=24h": (w._("≤24 h"), w._("up to 24 hours")), "<=3d": (w._("≤3 d"), w._("up to 3 days")),
        "<=7d": (w._("≤7 d"), w._("up to 7 days")),
        "<=30d": (w._("≤30 d"), w._("up to 30 days")), ">30d": (w._(">30 d"), w._("over 30 days")),
    }
    return buckets.get(label, (label, label))


def moment(at: datetime) -> str:
    at = at.astimezone(UTC)
    if at.second == at.microsecond == 0:
        return at.strftime("%Y-%m-%d %H:%M UTC")
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")  # never microseconds: nobody reads them


def _last_day(review: Review) -> date | None:
    """The period's last whole day, when it runs from midnight to midnight (UTC): the end
    itself is the next day's midnight, which a reader would take for a day reviewed."""
    start, end = review.start.astimezone(UTC), review.end.astimezone(UTC)
    if start.time() == end.time() == time(0) and end > start:
        return (end - timedelta(days=1)).date()
    return None


def title(w: Words, review: Review) -> str:
    last = _last_day(review)
    return w._("Review of requests for information and assistance, {start} to {end}",
               start=review.start.astimezone(UTC).date().isoformat(),
               end=(last or review.end.astimezone(UTC).date()).isoformat())


def period(w: Words, review: Review) -> str:
    last = _last_day(review)
    if last is not None:
        return w._("Requests received from {first} to {last}, both days included (UTC). "
                   "Generated {generated}.",
                   first=review.start.astimezone(UTC).date().isoformat(),
                   last=last.isoformat(), generated=moment(review.generated_at))
    return w._("Requests received from {start} up to, not including, {end}. Generated "
               "{generated}.", start=moment(review.start), end=moment(review.end),
               generated=moment(review.generated_at))


def groups(w: Words, review: Review) -> tuple[tuple[str, bool, Mapping[str, DirectionFigures]],
                                               ...]:
    return ((w._("Requests"), False, review.directions),
            (w._("Exercises (drills, counted in no figure above)"), True, review.exercises))


def direction(w: Words, f: DirectionFigures) -> str:
    return w._("From {requester} to {addressee}", requester=f.requester, addressee=f.addressee)


def counts(w: Words, tally: Mapping[str, int]) -> str:
    """Counts in words: "information provided 3, declined 1"."""
    return w._(", ").join(w._("{name} {count}", name=term(w, name), count=count)
                          for name, count in tally.items()) or w._("none")


def _share(part: int, pct: float | None) -> str:
    return f"{part} ({pct}%)" if pct is not None else str(part)


def _hours(w: Words, value: float | None) -> str:
    if value is None:
        return w._("no data")
    hours = format(value, ".2f")
    return w._("{hours} hours", hours=hours)


def summary_rows(w: Words, f: DirectionFigures) -> list[tuple[str, str]]:
    """The headline figures of one direction, as (label, value) in plain words."""
    escalations = str(f.escalations)
    if f.escalations:
        escalations = w._("{count}, of which {reasons}", count=f.escalations,
                          reasons=counts(w, f.escalations_by_reason))
    rating = w._("none")
    if f.mean_rating is not None:
        mean = format(f.mean_rating, ".2f")
        rating = w._("{mean} out of 5 ({count} rated)", mean=mean, count=f.ratings)
    return [
        (w._("Requests received"), str(f.requests)),
        (w._("Acknowledged"), str(f.acknowledged)),
        (w._("Acknowledged on time"), _share(f.acknowledged_on_time, f.acknowledged_on_time_pct)),
        (w._("Answered"), str(f.answered)),
        (w._("Answered on time"), _share(f.answered_on_time, f.answered_on_time_pct)),
        (w._("Median time to acknowledge"), _hours(w, f.median_hours_to_acknowledge)),
        (w._("90% acknowledged within"), _hours(w, f.p90_hours_to_acknowledge)),
        (w._("Median time to answer"), _hours(w, f.median_hours_to_answer)),
        (w._("90% answered within"), _hours(w, f.p90_hours_to_answer)),
        (w._("Still open"), str(f.open_now)),
        (w._("Overdue now"), str(f.overdue_now)),
        (w._("Withdrawn"), str(f.withdrawn)),
        (w._("Acts backdated"), str(f.backdated_acts)),
        (w._("Escalations"), escalations),
        (w._("Quality rating"), rating),
    ]


def csv_headings(w: Words) -> dict[str, str]:
    """The CSV's columns in plain words, by their stable names (report.CSV_COLUMNS)."""
    return {
        "direction": w._("Direction"), "requester": w._("Requester"),
        "addressee": w._("Addressee"), "exercise": w._("Exercise"),
        "requests": w._("Requests received"), "acknowledged": w._("Acknowledged"),
        "acknowledged_on_time": w._("Acknowledged on time"),
        "acknowledged_on_time_pct": w._("Acknowledged on time (%)"),
        "answered": w._("Answered"), "answered_on_time": w._("Answered on time"),
        "answered_on_time_pct": w._("Answered on time (%)"),
        "median_hours_to_acknowledge": w._("Median hours to acknowledge"),
        "p90_hours_to_acknowledge": w._("90% acknowledged within (hours)"),
        "median_hours_to_answer": w._("Median hours to answer"),
        "p90_hours_to_answer": w._("90% answered within (hours)"),
        "open_now": w._("Still open"), "overdue_now": w._("Overdue now"),
        "escalations": w._("Escalations"), "ratings": w._("Ratings"),
        "mean_rating": w._("Mean rating (1 to 5)"), "withdrawn": w._("Withdrawn"),
        "backdated_acts": w._("Acts backdated"),
    }


def yes_or_no(w: Words, answer: bool) -> str:
    return w._("yes") if answer else w._("no")


def breakdowns(w: Words, f: DirectionFigures) -> list[tuple[str, Mapping[str, int]]]:
    return [(w._("By kind"), f.by_kind), (w._("By category"), f.by_category),
            (w._("By urgency"), f.by_urgency), (w._("Outcomes of answers"), f.outcomes)]
