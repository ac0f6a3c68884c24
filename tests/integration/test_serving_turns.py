"""While a node serves, a thread that waits to run Python waits at most the server's switch
interval for the one running (serving.turns): a request is not held up by the audit flush's
Python for CPython's default 5 ms."""

from __future__ import annotations

import sys

import pytest
from starlette.testclient import TestClient

from accord.app import create_app
from accord.serving.turns import SWITCH_INTERVAL, prompt_turns


def test_the_interval_holds_while_serving_and_is_given_back_after(node):
    before = sys.getswitchinterval()
    assert before != SWITCH_INTERVAL
    with TestClient(create_app(node)) as client:
        assert client.get("/taxii2/").status_code == 401  # serving
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before


def test_two_apps_serving_at_once_give_the_interval_back_when_both_have_stopped():
    before = sys.getswitchinterval()
    first, second = prompt_turns(), prompt_turns()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first to start stops first
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)  # the second still serves
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before


def test_the_interval_is_given_back_when_serving_fails():
    before = sys.getswitchinterval()
    try:
        with prompt_turns():
            raise RuntimeError("the server stopped")
    except RuntimeError:
        pass
    assert sys.getswitchinterval() == before
