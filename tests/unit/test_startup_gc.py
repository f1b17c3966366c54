"""A served process settles its garbage collector once start-up completes, and not before."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from starlette.types import Message, Receive, Scope, Send

from appconnect.startup import YOUNG_GENERATION_THRESHOLD, _ExitOnStartupFailure


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


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
