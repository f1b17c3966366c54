"""Rate-limit header parsing and the error → action table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

import appconnect.crm_http as crm_http
from appconnect.crm_http import (
    OUTCOMES,
    CrmAction,
    CrmError,
    CrmRateLimited,
    CrmUnavailable,
    CrmUncertain,
    RateLimitInfo,
    action_for,
    rate_limit_info,
)
from appconnect.crm_http.ratelimit import parse_reset, parse_retry_after

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def test_rate_limit_info_reads_pipedrive_headers() -> None:
    response = httpx.Response(
        200, headers={"x-ratelimit-limit": "80", "x-ratelimit-remaining": "79", "x-ratelimit-reset": "2"}
    )
    assert rate_limit_info(response, now=NOW) == RateLimitInfo(
        limit=80, remaining=79, reset_after=2.0, reset_at=NOW + timedelta(seconds=2)
    )


def test_rate_limit_info_is_none_without_headers_and_tolerates_garbage() -> None:
    assert rate_limit_info(httpx.Response(200)) is None
    info = rate_limit_info(
        httpx.Response(200, headers={"x-ratelimit-remaining": "3", "x-ratelimit-reset": "x"})
    )
    assert info == RateLimitInfo(limit=None, remaining=3, reset_after=None, reset_at=None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", (2.0, NOW + timedelta(seconds=2))),
        ("0.5", (0.5, NOW + timedelta(seconds=0.5))),
        (str(int(NOW.timestamp()) + 30), (30.0, NOW + timedelta(seconds=30))),  # epoch seconds
        (str(int(NOW.timestamp() * 1000) + 1500), (1.5, NOW + timedelta(seconds=1.5))),  # epoch millis
        (str(int(NOW.timestamp()) - 30), (0.0, NOW - timedelta(seconds=30))),  # already past
        ("-1", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_reset(value: str | None, expected: tuple[float, datetime] | None) -> None:
    assert parse_reset(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", (120.0, NOW + timedelta(seconds=120))),
        ("Sun, 01 Jun 2025 12:00:10 GMT", (10.0, NOW + timedelta(seconds=10))),
        ("Sun, 01 Jun 2025 11:00:00 GMT", (0.0, NOW - timedelta(hours=1))),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: tuple[float, datetime] | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_every_error_class_has_an_action() -> None:
    error_classes = {
        obj
        for name in crm_http.__all__
        if isinstance(obj := getattr(crm_http, name), type) and issubclass(obj, CrmError)
    }
    assert error_classes == set(OUTCOMES)
    assert OUTCOMES[CrmUncertain].action is CrmAction.DO_NOT_RETRY_UNCERTAIN
    assert OUTCOMES[CrmRateLimited].action is CrmAction.RATE_LIMITED


def test_action_for_accepts_classes_and_subclasses() -> None:
    class CrmMaintenance(CrmUnavailable):
        pass

    assert action_for(CrmUnavailable) is CrmAction.RETRY
    assert action_for(CrmMaintenance("down")) is CrmAction.RETRY
    assert action_for(CrmError("?")) is CrmAction.FAIL


def test_outcomes_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        OUTCOMES[CrmError] = OUTCOMES[CrmUncertain]  # type: ignore[index]


def test_error_keeps_debug_data_but_masks_and_truncates() -> None:
    error = CrmError(
        "CRM responded 500",
        status=500,
        headers={"Set-Cookie": "s=secret", "X-Trace": "t1", "Authorization": "Bearer secret"},
        body="x" * 10_000,
    )
    assert error.headers == {"set-cookie": "[redacted]", "x-trace": "t1", "authorization": "[redacted]"}
    assert error.body is not None and len(error.body) == 2000
    assert str(error) == "CRM responded 500"
