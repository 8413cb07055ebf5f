"""What a process still loads (rasa_hybrid/llm/readiness.py) and its /ready route."""

import asyncio
import concurrent.futures
import json

from rasa_hybrid.actions.ready import add_ready_route
from rasa_hybrid.llm.readiness import WarmUp
from sanic import Sanic

from tests.conftest import FakeClock


def test_a_warm_up_with_no_steps_is_ready():
    assert WarmUp().ready and WarmUp().report() == {"ready": True, "steps": []}


def test_steps_report_their_state_and_time_in_the_order_they_began():
    clock = FakeClock(now=100.0)
    warm_up = WarmUp(clock=clock)
    warm_up.begin("model")
    warm_up.begin("index")
    clock.advance(2.0)
    warm_up.finish("index", lambda: None)
    clock.advance(3.0)
    assert warm_up.report() == {
        "ready": False,
        "steps": [
            {"name": "model", "state": "loading", "seconds": 5.0},
            {"name": "index", "state": "ready", "seconds": 2.0},
        ],
    }
    warm_up.finish("model", lambda: 1 / 0)
    report = warm_up.report()
    assert report["ready"] is True
    assert report["steps"][0]["state"] == "failed"
    assert report["steps"][0]["error"] == "ZeroDivisionError: division by zero"


def test_a_followed_future_ends_its_step():
    warm_up = WarmUp()
    future: concurrent.futures.Future = concurrent.futures.Future()
    warm_up.follow("model", future)
    assert not warm_up.ready
    future.set_result(object())
    assert warm_up.ready and warm_up.steps()[0].state == "ready"


def _get(app: Sanic) -> tuple[int, dict]:
    """GET /ready through the route's handler, as Sanic would call it."""
    route = next(r for r in app.router.routes if r.path == "ready")
    answer = asyncio.run(route.handler(None))
    return answer.status, json.loads(answer.body)


def test_the_route_answers_503_while_loading_and_200_once_settled():
    warm_up = WarmUp()
    app = Sanic("ready_test")
    add_ready_route(app, warm_up=lambda: warm_up)
    warm_up.begin("language model")
    status, body = _get(app)
    assert status == 503 and body["ready"] is False
    assert body["steps"][0]["name"] == "language model"
    warm_up.end("language model")
    assert _get(app)[0] == 200
