"""One table decides the user's message for every CRM failure (spec logging §1.1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appconnect.connectors import UserInfoResult
from appconnect.crm_http import (
    CrmAuthExpired,
    CrmBadRequest,
    CrmError,
    CrmForbidden,
    CrmNotFound,
    CrmRateLimited,
    CrmRequestRefused,
    CrmUnavailable,
    CrmUncertain,
)
from appconnect.services.messages import crm_failure_message


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (CrmRateLimited("429", status=429), "Rate limit exceeded"),
        (CrmAuthExpired("401", status=401), "Authorization error"),
        (CrmForbidden("403", status=403), "Authorization error"),
        (CrmNotFound("404", status=404), "Authorization error"),
        (CrmBadRequest("409", status=409), "Authorization error"),
        (CrmBadRequest("422", status=422), "Error creating call log"),
        (CrmUnavailable("500", status=500), "Error creating call log"),
        (CrmUncertain("timeout"), "Error creating call log"),
        (CrmRequestRefused("blocked"), "Error creating call log"),
        (CrmError("other"), "Error creating call log"),
        (KeyError("bug"), "Error creating call log"),
    ],
)
def test_each_failure_gets_the_contracts_message(error: BaseException, message: str) -> None:
    answer = crm_failure_message(error, operation="createCallLog", platform="pipedrive")
    assert answer["message"] == message and answer["messageType"] == "warning" and answer["ttl"] == 5000


def test_the_wording_names_the_platform_and_the_detail_ids_follow_the_reference() -> None:
    reauthorize = crm_failure_message(
        CrmAuthExpired("x", status=401), operation="updateCallLog", platform="pipedrive"
    )
    assert reauthorize["details"][0]["items"][0] == {
        "id": "1",
        "type": "text",
        "text": "It seems like there's something wrong with your authorization of pipedrive. "
        "Please Logout and then Connect your pipedrive account within this extension.",
    }
    failed = crm_failure_message(
        CrmUnavailable("x", status=503), operation="updateCallLog", platform="pipedrive"
    )
    assert failed["details"][0]["items"][0]["id"] == 1
    assert "still exists on pipedrive" in failed["details"][0]["items"][0]["text"]
    generic = crm_failure_message(CrmUnavailable("x"), operation="upsertCallDisposition", platform="p")
    assert generic["message"] == "Error performing upsertCallDisposition"


def test_a_rate_limit_message_says_when_to_try_again() -> None:
    reset = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    answer = crm_failure_message(CrmRateLimited("x", reset_at=reset), operation="getCallLog", platform="p")
    assert answer["rateLimitResetAt"] == "2026-11-25T18:00:00+00:00"


@pytest.mark.parametrize("crm_name", ["Pipedrive", "Clio"])
def test_a_user_the_crm_will_not_describe_gets_the_reference_warning(crm_name: str) -> None:
    result = UserInfoResult.could_not_load(crm_name)
    assert result.successful is False and result.platform_user_info is None
    assert result.return_message is not None
    assert result.return_message.to_wire() == {
        "message": "Could not load user information",
        "messageType": "warning",
        "ttl": 3000,
        "details": [
            {
                "title": "Details",
                "items": [
                    {
                        "id": "1",
                        "type": "text",
                        "text": f"{crm_name} was unable to fetch information for the currently logged "
                        f"in user. Please check your permissions in {crm_name} and make sure you have "
                        "permission to access and read user information.",
                    }
                ],
            }
        ],
    }
