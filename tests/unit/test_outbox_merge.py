"""Which consecutive queued updates of a call merge into one job (`call_logs.merge_updates`)."""

from __future__ import annotations

from typing import Any

from appconnect.services.call_logs import merge_updates


def payload(**request: Any) -> dict[str, Any]:
    return {"request": {"sessionId": "s-1", **request}, "rcAccountId": None, "isFromSscl": False}


def test_the_last_final_data_wins_and_what_only_the_earlier_carries_survives() -> None:
    first = merge_updates(
        payload(duration=42, result="Call connected", note="Hi"), payload(recordingLink="r"), "k2"
    )
    assert first is not None
    second = merge_updates(first, payload(duration=125, result="Voicemail"), "k3")
    assert second is not None
    assert second["request"] == {
        "sessionId": "s-1",
        "duration": 125,
        "result": "Voicemail",
        "note": "Hi",
        "recordingLink": "r",
    }
    assert [step.get("duration") for step in second["steps"]] == [42, None, 125]  # each, in order
    assert second["mergedKeys"] == ["k2", "k3"]


def test_other_fields_another_call_or_another_source_do_not_merge() -> None:
    plain = payload(duration=42)
    assert merge_updates(plain, payload(aiNote="summary"), "k") is None  # not known to replace
    assert merge_updates(payload(legs=[{}]), plain, "k") is None
    assert merge_updates(payload(direction="Inbound"), payload(direction="Outbound"), "k") is None
    assert merge_updates(plain, {**payload(duration=1), "isFromSscl": True}, "k") is None
    assert merge_updates(plain, {**payload(duration=1), "rcAccountId": "9001"}, "k") is None
    assert (
        merge_updates(payload(direction="Inbound"), payload(direction="Inbound", result="x"), "k") is not None
    )
