"""Message-log writes whose outcome is unknown: the outbox resolves them before anything is resent.

The service and the outbox worker against a real database and a recording CRM that can apply a
write and then lose its answer (`CrmUncertain`, as a timeout after sending does), or apply it and
never answer (the process dies). With `FindsCreatedMessageLogs` the worker finds what was written
and records it; without it the job goes dead (kept, visible) and nothing is sent again by itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from appconnect.connectors.base import FindsCreatedMessageLogs
from appconnect.connectors.inputs import (
    CreateMessageLogInput,
    FindCreatedMessageLogInput,
    FindMessageLogUpdateInput,
    UpdateMessageLogInput,
)
from appconnect.connectors.types import CreateMessageLogResult, ReturnMessage, UpdateMessageLogResult
from appconnect.crm_http import CrmUnavailable, CrmUncertain
from appconnect.services.context import ServerContext
from appconnect.services.outbox_worker import OutboxWorker
from appconnect.store import Store
from appconnect.store.outbox import DEAD
from tests.integration.test_message_log_grouping import (  # noqa: F401 - fixtures
    PLATFORM,
    RecordingCrm,
    _context,
    log,
    request,
    sms,
    store,
)


class UncertainCrm(RecordingCrm):
    """Applies the next `lose_answers` writes, then raises `CrmUncertain` (or, `hang`: never answers)."""

    name: ClassVar[str] = PLATFORM

    def __init__(self) -> None:
        super().__init__()
        self.lose_answers = 0
        self.hang = False
        self.logs: dict[str, list[str]] = {}  # what the CRM holds: log id -> message ids (or content)

    def _lost(self) -> bool:
        if self.lose_answers:
            self.lose_answers -= 1
            return True
        return False

    async def create_message_log(self, log: CreateMessageLogInput, /) -> CreateMessageLogResult:
        result = await super().create_message_log(log)
        assert result.log_id is not None
        self.logs[str(result.log_id)] = _contents(log)
        if self.hang:
            await asyncio.Event().wait()  # the answer never comes back: the process is "killed"
        if self._lost():
            raise CrmUncertain("the CRM did not answer in time", platform=PLATFORM)
        return result

    async def update_message_log(self, log: UpdateMessageLogInput, /) -> UpdateMessageLogResult:
        result = await super().update_message_log(log)
        held = self.logs.setdefault(str(log.existing_message_log.third_party_log_id), [])
        if log.message is not None:
            held.append(str(log.message.id))
        if self._lost():
            raise CrmUncertain("the CRM did not answer in time", platform=PLATFORM)
        return result


class FindingCrm(UncertainCrm, FindsCreatedMessageLogs):
    fail_finds = 0

    async def find_created_message_log(self, lookup: FindCreatedMessageLogInput, /) -> CreateMessageLogResult:
        self.calls.append(("find", lookup.create))
        if self.fail_finds:
            self.fail_finds -= 1
            raise CrmUnavailable("down", status=503, platform=PLATFORM)
        wanted = _contents(lookup.create)
        for log_id, held in self.logs.items():
            if held[: len(wanted)] == wanted:
                return CreateMessageLogResult(log_id=log_id, return_message=ReturnMessage("found", "success"))
        return CreateMessageLogResult(log_id=None)

    async def find_message_log_update(self, lookup: FindMessageLogUpdateInput, /) -> bool:
        update = lookup.update
        assert update.message is not None
        return str(update.message.id) in self.logs.get(
            str(update.existing_message_log.third_party_log_id), []
        )


def _contents(log: CreateMessageLogInput) -> list[str]:
    if log.message is not None:
        return [str(log.message.id)]
    if log.messages:
        return [str(message.id) for message in log.messages]
    assert log.shared_sms_log_content is not None
    return [log.shared_sms_log_content.body]


async def _drain(worker: OutboxWorker, jobs_of: Store) -> None:
    """Run the worker until nothing is queued (each job waits out its short backoff)."""
    for _ in range(500):
        if not await jobs_of.outbox.jobs(state="queued"):
            return
        await worker.run_once()
        await asyncio.sleep(0.01)
    raise AssertionError(await jobs_of.outbox.jobs())


def _settle_fast(context: ServerContext, **overrides: Any) -> ServerContext:
    settings = context.settings.model_copy(update={"outbox_uncertain_wait_seconds": 0.0, **overrides})
    return ServerContext(
        settings=settings,
        secrets=context.secrets,
        store=context.store,
        registry=context.registry,
        tokens=context.tokens,
        http=context.http,
    )


def _finding(
    on: Store, database_url: str, tmp_path: Path, **settings: Any
) -> tuple[FindingCrm, ServerContext]:
    """A CRM that can find what it wrote, and a context whose unknown outcomes settle at once."""
    crm = FindingCrm()
    return crm, _settle_fast(_context(on, crm, database_url, tmp_path), **settings)


async def _linked(of: Store, message_ids: list[str]) -> set[tuple[str, str | None, str]]:
    """(message id, CRM log id, state) of each message's linkage."""
    rows = await of.message_logs.by_ids(message_ids, platform=PLATFORM)
    return {(row.id, row.third_party_log_id, row.state) for row in rows}


async def test_without_a_lookup_an_unknown_create_goes_dead_and_is_not_sent_again(
    store: Store,  # noqa: F811 - the fixture
    database_url: str,
    tmp_path: Path,
) -> None:
    crm_ = UncertainCrm()
    context_ = _settle_fast(_context(store, crm_, database_url, tmp_path), crm_timeout_seconds=0.01)
    crm_.lose_answers = 1
    answer = await log(context_, request(sms(1, "one")))
    assert answer["successful"] is False and "automatically" in answer["returnMessage"]["message"]
    [pending] = await store.message_logs.by_ids(["1"], platform=PLATFORM)
    assert pending.state == "pending"  # kept: nothing can log it again meanwhile
    assert await log(context_, request(sms(1, "one"))) == answer  # a retry while queued
    await _drain(OutboxWorker(context_), store)
    [job] = await store.outbox.jobs()
    assert job.state == DEAD and "cannot look it up" in str(job.last_error)
    assert crm_.ops() == [("create", "1")]  # never re-sent blindly
    assert await store.outbox.retry(job.id)  # an operator who checked the CRM sends it again
    await _drain(OutboxWorker(context_), store)
    assert crm_.ops() == [("create", "1"), ("create", "1")]
    [row] = await store.message_logs.by_ids(["1"], platform=PLATFORM)
    assert (row.state, row.third_party_log_id) == ("created", "L2")


async def test_selected_messages_whose_create_lost_its_answer_are_found_not_logged_twice(
    store: Store,  # noqa: F811 - the fixture
    database_url: str,
    tmp_path: Path,
) -> None:
    crm_, context_ = _finding(store, database_url, tmp_path, crm_timeout_seconds=0.01)
    crm_.lose_answers = 1
    body = request(sms(3, "three"), sms(2, "two"), sms(1, "one"), selectedMessageIds=[1, "3"])
    answer = await log(context_, body)
    assert "automatically" in answer["returnMessage"]["message"]
    await _drain(OutboxWorker(context_), store)
    assert await store.outbox.jobs() == []
    assert [op for op, _ in crm_.calls] == ["create", "find"]
    assert await _linked(store, ["1", "3"]) == {
        ("1", "L1", "created"),
        ("3", "L1", "created"),
    }


async def test_a_shared_sms_create_that_lost_its_answer_is_found_and_recorded(
    store: Store,  # noqa: F811 - the fixture
    database_url: str,
    tmp_path: Path,
) -> None:
    crm_, context_ = _finding(store, database_url, tmp_path, crm_timeout_seconds=0.01)
    crm_.lose_answers = 1
    owner = {"name": "Support Queue", "extensionType": "Department"}
    body = request(sms(1, "one"), log_info={"owner": owner})
    assert "automatically" in (await log(context_, body))["returnMessage"]["message"]
    await _drain(OutboxWorker(context_), store)
    # Found, so not created again; the job then rewrites the log whole, as every shared-SMS request does.
    assert [op for op, _ in crm_.calls] == ["create", "find", "update"]
    assert list(crm_.logs) == ["L1"]
    shared = await store.message_logs.conversation_log("conv-1-2026-07-14", platform=PLATFORM)
    assert shared is not None and (shared.state, shared.third_party_log_id) == ("created", "L1")
    [row] = await store.message_logs.by_ids(["conv-1-2026-07-14"], platform=PLATFORM)
    assert row.third_party_log_id == "L1"


async def test_an_add_that_lost_its_answer_is_found_and_the_rest_of_the_request_is_logged(
    store: Store,  # noqa: F811 - the fixture
    database_url: str,
    tmp_path: Path,
) -> None:
    crm_, context_ = _finding(store, database_url, tmp_path, crm_timeout_seconds=0.01)
    await log(context_, request(sms(1, "one")))
    crm_.lose_answers = 1
    answer = await log(context_, request(sms(3, "three"), sms(2, "two"), sms(1, "one")))
    assert "automatically" in answer["returnMessage"]["message"]
    await _drain(OutboxWorker(context_), store)
    assert crm_.ops() == [("create", "1"), ("update", "2"), ("update", "3")]  # 2 found, 3 sent after it
    assert crm_.logs == {"L1": ["1", "2", "3"]}
    assert await _linked(store, ["1", "2", "3"]) == {
        ("1", "L1", "created"),
        ("2", "L1", "created"),
        ("3", "L1", "created"),
    }


async def test_a_process_dying_after_the_crm_wrote_leaves_a_job_the_worker_reconciles(
    store: Store,  # noqa: F811 - the fixture
    database_url: str,
    tmp_path: Path,
) -> None:
    crm_, context_ = _finding(store, database_url, tmp_path, outbox_lease_seconds=1.0)
    crm_.hang = True
    request_task = asyncio.create_task(log(context_, request(sms(2, "two"), sms(1, "one"))))
    for _ in range(200):
        if crm_.logs:
            break
        await asyncio.sleep(0.01)
    request_task.cancel()  # the request dies between the CRM's write and our commit
    await asyncio.gather(request_task, return_exceptions=True)
    crm_.hang = False
    [job] = await store.outbox.jobs()
    assert job.lease_until is not None and job.maybe_sent  # leased to the dead request
    worker = OutboxWorker(context_)
    assert await worker.run_once() == 0  # its lease is still live: nobody takes it over yet
    await _drain(worker, store)
    assert crm_.ops() == [("create", "1"), ("find", "1"), ("update", "2")]  # found, not created twice
    assert crm_.logs == {"L1": ["1", "2"]}
    assert await _linked(store, ["1", "2"]) == {
        ("1", "L1", "created"),
        ("2", "L1", "created"),
    }


async def test_a_lookup_that_failed_is_made_again_before_anything_is_resent(
    store: Store,  # noqa: F811 - the fixture
    database_url: str,
    tmp_path: Path,
) -> None:
    crm_, context_ = _finding(store, database_url, tmp_path, crm_timeout_seconds=0.01)
    crm_.lose_answers, crm_.fail_finds = 1, 1
    assert "automatically" in (await log(context_, request(sms(1, "one"))))["returnMessage"]["message"]
    await _drain(OutboxWorker(context_), store)
    # The first lookup met a 503 (a certain failure): the next attempt still looks before it sends.
    assert crm_.ops() == [("create", "1"), ("find", "1"), ("find", "1")]
    assert list(crm_.logs) == ["L1"]
    [row] = await store.message_logs.by_ids(["1"], platform=PLATFORM)
    assert (row.state, row.third_party_log_id) == ("created", "L1")
