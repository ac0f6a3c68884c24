"""How the mechanism's codes read on a page: words in the reader's language for each closed
vocabulary (category, kind, urgency, outcome, escalation reason, state…), the code itself kept
in a title for analysts, who search and script with it."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache

from markupsafe import Markup, escape

from accord.i18n.catalogue import catalogue

Gettext = Callable[[str], str]


def _vocabularies(_: Gettext) -> dict[str, dict[str, str]]:
    """Each vocabulary's words, written out whole so that Babel's extractor finds them."""
    return {
        "category": {
            "intrusion": _("Intrusion"),
            "ip-theft": _("Theft of intellectual property / trade secrets"),
            "ddos": _("Denial of service (DDoS)"), "ransomware": _("Ransomware"),
            "fraud": _("Fraud / business e-mail compromise"),
            "child-abuse": _("Online child abuse material"),
            "terrorist-misuse": _("Terrorist misuse of the internet"), "other": _("Other"),
        },
        "kind": {
            "information": _("Information"), "preservation": _("Preservation of evidence"),
            "investigation": _("Investigation"),
            "mitigation": _("Mitigation of ongoing activity"), "prosecution": _("Prosecution"),
        },
        "urgency": {"routine": _("routine"), "priority": _("priority"), "urgent": _("urgent")},
        "outcome": {
            "information-provided": _("Information provided"),
            "action-taken": _("Action taken"),
            "no-information-found": _("No information found"), "declined": _("Declined"),
            "referred": _("Referred to another body"),
        },
        "reason": {
            "acknowledgement-overdue": _("Acknowledgement overdue"),
            "response-overdue": _("Response overdue"), "disputed": _("Disputed"),
            "manual": _("Raised by hand"),
        },
        # How an escalation ended (cooperation.escalation_views.EndedBy).
        "ended_by": {"de-escalated": _("ended by hand"), "answered": _("by the answer"),
                     "withdrawn": _("by the withdrawal")},
        "state": {
            "submitted": _("Submitted"), "acknowledged": _("Acknowledged"),
            "in-progress": _("In progress"), "answered": _("Answered"), "closed": _("Closed"),
            "declined": _("Declined"), "withdrawn": _("Withdrawn"), "overdue": _("Overdue"),
            "escalated": _("Escalated"),
        },
        # The kinds of observable value the correlation index keeps (correlation.values).
        "observable": {
            "ipv4": _("IPv4 address"), "ipv6": _("IPv6 address"), "domain": _("domain"),
            "url": _("URL"), "email": _("e-mail address"), "md5": "MD5", "sha1": "SHA-1",
            "sha256": "SHA-256", "sha512": "SHA-512", "file-name": _("file name"),
            "mutex": _("mutex"),
        },
        # What a token may do (trust.tokens.ROLES).
        "role": {"reader": _("reader"), "analyst": _("analyst"),
                 "liaison": _("liaison officer"), "admin": _("administrator")},
        # The default escalation ladder's steps (guidelines.DEFAULT); a ladder the parties
        # wrote themselves is shown as they wrote it.
        "ladder": {"liaison officers": _("liaison officers"), "hotline": _("hotline"),
                   "senior officials": _("senior officials")},
        # What a deadline is for, and what the viewer's party should do next (rows.Row).
        "deadline": {"acknowledge": _("acknowledge"), "respond": _("respond")},
        "action": {"Acknowledge": _("Acknowledge"), "Respond": _("Respond"),
                   "Rate the response": _("Rate the response")},
        # Where a party stands on an attribution claim (attribution.model.POSITIONS).
        "position": {"agree": _("agree"), "partly-agree": _("partly agree"),
                     "neutral": _("neutral"), "disagree": _("disagree"), "deny": _("deny")},
        # What a claim or a position stands on (attribution.model.BASES), and its type.
        "basis": {"technical-forensics": _("technical forensics"),
                  "intelligence": _("intelligence"),
                  "law-enforcement": _("a law-enforcement investigation"),
                  "indictment": _("an indictment"),
                  "sanctions": _("sanctions imposed for the activity"),
                  "government-statement": _("a government statement"),
                  "official-leak": _("officials speaking unofficially (e.g. to the press)"),
                  "private-sector-report": _("a private-sector report"),
                  "media-report": _("a media report"),
                  "self-attribution": _("the perpetrator's own claim")},
        # STIX 2.1's types (§4-§6, and the meta-objects §7), as an analyst's screen names
        # them; a type outside the specification (x-mitre-tactic) is shown as its code.
        "stix_type": {
            "attack-pattern": _("Attack pattern"), "campaign": _("Campaign"),
            "course-of-action": _("Course of action"), "grouping": _("Grouping"),
            "identity": _("Identity"), "incident": _("Incident"), "indicator": _("Indicator"),
            "infrastructure": _("Infrastructure"), "intrusion-set": _("Intrusion set"),
            "location": _("Location"), "malware": _("Malware"),
            "malware-analysis": _("Malware analysis"), "note": _("Note"),
            "observed-data": _("Observed data"), "opinion": _("Opinion"),
            "report": _("Report"), "threat-actor": _("Threat actor"), "tool": _("Tool"),
            "vulnerability": _("Vulnerability"), "relationship": _("Relationship"),
            "sighting": _("Sighting"), "artifact": _("Artifact"),
            "autonomous-system": _("Autonomous system"), "directory": _("Directory"),
            "domain-name": _("Domain name"), "email-addr": _("E-mail address"),
            "email-message": _("E-mail message"), "file": _("File"),
            "ipv4-addr": _("IPv4 address"), "ipv6-addr": _("IPv6 address"),
            "mac-addr": _("MAC address"), "mutex": _("Mutex"),
            "network-traffic": _("Network traffic"), "process": _("Process"),
            "software": _("Software"), "url": _("URL"), "user-account": _("User account"),
            "windows-registry-key": _("Windows registry key"),
            "x509-certificate": _("X.509 certificate"),
            "marking-definition": _("Marking definition"),
            "language-content": _("Language content"),
            "extension-definition": _("Extension definition"),
        },
        # STIX 2.1's relationship types (§4, each object's "Relationships"; ATT&CK's own
        # subtechnique-of, detects and revoked-by), as a phrase between two objects: "X uses
        # Y". Others are shown as their code.
        "relationship_type": {
            "uses": _("uses"), "indicates": _("indicates"),
            "attributed-to": _("is attributed to"), "targets": _("targets"),
            "mitigates": _("mitigates"), "related-to": _("is related to"),
            "derived-from": _("is derived from"), "duplicate-of": _("is a duplicate of"),
            "variant-of": _("is a variant of"), "located-at": _("is located at"),
            "delivers": _("delivers"), "drops": _("drops"), "downloads": _("downloads"),
            "exploits": _("exploits"), "communicates-with": _("communicates with"),
            "consists-of": _("consists of"), "authored-by": _("is authored by"),
            "based-on": _("is based on"), "impersonates": _("impersonates"),
            "compromises": _("compromises"), "owns": _("owns"), "hosts": _("hosts"),
            "controls": _("controls"), "beacons-to": _("beacons to"),
            "exfiltrates-to": _("exfiltrates to"), "originates-from": _("originates from"),
            "investigates": _("investigates"), "remediates": _("remediates"),
            "characterizes": _("characterizes"), "analysis-of": _("is an analysis of"),
            "has": _("has"), "belongs-to": _("belongs to"), "resolves-to": _("resolves to"),
            "subtechnique-of": _("is a sub-technique of"), "detects": _("detects"),
            "revoked-by": _("is revoked by"),
        },
        # What a translation translates (cooperation.objects.TRANSLATABLE), as its form says.
        "field": {"summary": _("Summary"), "description": _("Description"),
                  "impact": _("Impact"), "note": _("Note"), "text": _("Text"),
                  "reason": _("Reason"), "comment": _("Comment")},
        "basis-type": {"technical": _("technical"), "official policy": _("official policy"),
                       "legal": _("legal"), "unofficial policy": _("unofficial policy"),
                       "self": _("self")},
    }


@cache
def vocabularies(language: str) -> dict[str, dict[str, str]]:
    return _vocabularies(catalogue(language).gettext)


def word(language: str, vocabulary: str, code: str) -> str:
    """The words for `code` (the code itself when the vocabulary does not know it)."""
    return vocabularies(language).get(vocabulary, {}).get(code, code)


def code_for(language: str, vocabulary: str, words: str) -> str | None:
    """The code whose words in `language` (or in English) are `words`, whatever their case
    and width (恶意软件, "attack pattern"): what a reader typed into a search, say."""
    wanted = unicodedata.normalize("NFKC", words).strip().casefold()
    for lang in dict.fromkeys((language, "en")):
        for code, said in vocabularies(lang).get(vocabulary, {}).items():
            if said.casefold() == wanted:
                return code
    return None


def word_html(language: str, code: object, vocabulary: str) -> Markup:
    """The words, with the code in a title: the template filter `word`
    (`{{ r.category | word("category") }}`)."""
    text = str(code)
    shown = word(language, vocabulary, text)
    if shown == text:
        return escape(text)
    return Markup('<span class="coded" title="{}">{}</span>').format(text, shown)


def word_text(language: str, code: object, vocabulary: str) -> str:
    """The words alone, where no markup may go (an <option>): the filter `word_text`."""
    return word(language, vocabulary, str(code))
