"""A served process settles its garbage collector once start-up completes, and not before."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from starlette.types import Message, Receive, Scope, Send

from appconnect.startup import (
    YOUNG_GENERATION_THRESHOLD,
    _ExitOnStartupFailure,
    collector_paused,
    settle_garbage_collector,
)


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    gc.enable()


async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    assert message["type"] == "lifespan.startup"
    seen_before_complete.append((gc.get_freeze_count(), gc.get_threshold()[0]))
    await send({"type": "lifespan.startup.complete"})


seen_before_complete: list[tuple[int, int]] = []


@pytest.mark.usefixtures("restored_collector")
async def test_the_start_up_heap_is_frozen_after_start_up_completes() -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    await _ExitOnStartupFailure(lifespan_app, debug=False)({"type": "lifespan"}, receive, send)

    assert seen_before_complete[-1] == (0, 700)  # nothing settled while the app was starting
    assert [message["type"] for message in sent] == ["lifespan.startup.complete"]
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, 10, 10)


class _Cycle:
    """An object that only the cyclic collector can free (it refers to itself)."""

    def __init__(self) -> None:
        self.me = self


def _unreachable_cycle() -> weakref.ref[_Cycle]:
    cycle = _Cycle()
    return weakref.ref(cycle)  # the last strong reference goes with this frame


@pytest.mark.usefixtures("restored_collector")
def test_after_a_paused_launch_the_heap_is_frozen_as_it_is_and_the_collector_resumes() -> None:
    gc.collect()
    gc.disable()  # as `appconnect.__main__` launches `serve`
    left_over = _unreachable_cycle()

    settle_garbage_collector()

    assert gc.isenabled()
    assert left_over() is not None  # frozen without the full pass a launch would pay for
    gc.collect()
    assert left_over() is not None  # and out of the collector's reach from now on


@pytest.mark.usefixtures("restored_collector")
def test_inside_a_process_whose_collector_runs_its_garbage_is_collected_before_the_freeze() -> None:
    gc.collect()
    gc.enable()
    left_over = _unreachable_cycle()

    settle_garbage_collector()

    assert gc.isenabled()
    assert left_over() is None


@pytest.mark.usefixtures("restored_collector")
def test_building_the_app_pauses_the_collector_and_leaves_it_as_it_found_it() -> None:
    states: list[bool] = []
    gc.enable()
    with collector_paused():
        states.append(gc.isenabled())
    states.append(gc.isenabled())
    gc.disable()
    with collector_paused():
        states.append(gc.isenabled())
    states.append(gc.isenabled())

    assert states == [False, True, False, False]
