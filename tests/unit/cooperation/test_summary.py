"""A summary gives the state the ledger gives, at any instant, though it is made once."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.cooperation.test_ledger import ACK_BY, RESPOND_BY, TIMES, ledgers

from accord.cooperation.ledger import derive
from accord.cooperation.summary import is_overdue_at, state_at, summarise

# Around each deadline: a summary must turn overdue exactly when the view does.
INSTANTS = [*TIMES, ACK_BY + timedelta(microseconds=1), RESPOND_BY + timedelta(microseconds=1),
            RESPOND_BY + timedelta(days=30)]


@settings(max_examples=300, deadline=None)
@given(ledgers(), st.sampled_from(INSTANTS), st.sampled_from(INSTANTS))
def test_a_summary_made_at_one_time_gives_the_state_at_any_other(ledger, made, now):
    summary = summarise(derive(ledger, made))
    view = derive(ledger, now)
    assert summary == summarise(view)  # the same whenever it is made
    assert state_at(summary, now) == view.state
    assert is_overdue_at(summary, now) == view.is_overdue
    assert summary.is_escalated == view.is_escalated
