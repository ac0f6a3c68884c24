"""How times, deadlines and states read on a page. Pure: the clock is passed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from accord.i18n import N_
from accord.stix.timestamps import parse_timestamp

# In English here, translated when a page shows them (the `label` and `state_label` filters).
STATE_LABELS = {
    "submitted": N_("Submitted"), "acknowledged": N_("Acknowledged"),
    "in-progress": N_("In progress"), "answered": N_("Answered"), "closed": N_("Closed"),
    "declined": N_("Declined"), "withdrawn": N_("Withdrawn"), "overdue": N_("Overdue"),
    "escalated": N_("Escalated"),
}


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def moment(value: datetime | str | None) -> str:
    """2026-11-27 05:40:01 UTC; a value that is not a timestamp is shown as it is."""
    when = _as_datetime(value)
    if when is None:
        return str(value) if value else "—"
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(delta: timedelta) -> str:
    """3 d 4 h, 5 h 12 min, 4 min 30 s, 12 s: the two largest units that are not zero."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    shown = [f"{n} {unit}" for n, unit in parts[:2] if n]
    return " ".join(shown) or "0 s"


def countdown(deadline: datetime | str | None, now: datetime) -> str:
    """"due in 3 h 12 min" or "overdue by 2 d 1 h" ("" when there is no deadline)."""
    when = _as_datetime(deadline)
    if when is None:
        return ""
    left = when - now
    if left.total_seconds() >= 0:
        return f"due in {duration(left)}"
    return f"overdue by {duration(left)}"


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


# The words a page shows for the mechanism's codes (urgencies, outcomes, escalation reasons…),
# by table; `label(code, table, gettext)` gives the reader's words, an unknown code as it is.
LABELS: dict[str, dict[str, str]] = {
    "state": STATE_LABELS,
    "urgency": {"routine": N_("routine"), "priority": N_("priority"), "urgent": N_("urgent")},
    "kind": {"information": N_("Information"), "preservation": N_("Preservation of evidence"),
             "investigation": N_("Investigation"),
             "mitigation": N_("Mitigation of ongoing activity"),
             "prosecution": N_("Prosecution")},
    "category": {"intrusion": N_("Intrusion"),
                 "ip-theft": N_("Theft of intellectual property / trade secrets"),
                 "ddos": N_("Denial of service (DDoS)"), "ransomware": N_("Ransomware"),
                 "fraud": N_("Fraud / business e-mail compromise"),
                 "child-abuse": N_("Online child abuse material"),
                 "terrorist-misuse": N_("Terrorist misuse of the internet"),
                 "other": N_("Other")},
    "outcome": {"information-provided": N_("information provided"),
                "action-taken": N_("action taken"),
                "no-information-found": N_("no information found"),
                "declined": N_("declined"), "referred": N_("referred")},
    "reason": {"acknowledgement-overdue": N_("acknowledgement overdue"),
               "response-overdue": N_("response overdue"), "disputed": N_("disputed"),
               "manual": N_("by hand")},
    # The default escalation ladder (guidelines may name their own levels: shown as written).
    "ladder": {"liaison officers": N_("liaison officers"), "hotline": N_("hotline"),
               "senior officials": N_("senior officials")},
    "deadline": {"acknowledge": N_("acknowledge"), "respond": N_("respond")},
    # What an observable value was read as (correlation.values kinds).
    "value": {"ipv4": "IPv4", "ipv6": "IPv6", "domain": N_("domain"), "url": "URL",
              "email": N_("e-mail"), "md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256",
              "sha512": "SHA-512"},
    "action": {"Acknowledge": N_("Acknowledge"), "Respond": N_("Respond"),
               "Rate the response": N_("Rate the response")},
    "role": {"liaison": N_("liaison"), "admin": N_("admin"), "reader": N_("reader"),
             "analyst": N_("analyst")},
    "position": {"agree": N_("agree"), "partly-agree": N_("partly agree"),
                 "neutral": N_("neutral"), "disagree": N_("disagree"), "deny": N_("deny")},
    # attribution.model.BASES: what a claim or a position stands on, and its EuRepoC type.
    "basis": {"technical-forensics": N_("technical forensics"),
              "intelligence": N_("intelligence"),
              "law-enforcement": N_("a law-enforcement investigation"),
              "indictment": N_("an indictment"),
              "sanctions": N_("sanctions imposed for the activity"),
              "government-statement": N_("a government statement"),
              "official-leak": N_("officials speaking unofficially (e.g. to the press)"),
              "private-sector-report": N_("a private-sector report"),
              "media-report": N_("a media report"),
              "self-attribution": N_("the perpetrator's own claim")},
    "basis-type": {"technical": N_("technical"), "official policy": N_("official policy"),
                   "legal": N_("legal"), "unofficial policy": N_("unofficial policy"),
                   "self": N_("self")},
}


def label(code: str, table: str, gettext: Callable[[str], str] | None = None) -> str:
    english = LABELS[table].get(code)
    if english is None:
        return code
    return gettext(english) if gettext else english
