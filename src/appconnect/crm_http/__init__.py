"""The one outbound HTTP client for CRM calls, its host policy/SSRF guard and its typed errors.

Typical use by a connector::

    policy = HostPolicy(allowed_hosts=("api.pipedrive.com", "*.pipedrive.com"), platform="pipedrive")
    response = await crm_http.get(join_url(base_url, "/v1/persons/search"), policy=policy,
                                  headers={"Authorization": f"Bearer {token}"}, params={"term": phone})

Failures raise a :class:`CrmError` subclass (tree in :mod:`.errors`); :func:`action_for` says what
to do about one.
"""

from appconnect.crm_http.addresses import Resolver, is_blocked_address, system_resolver
from appconnect.crm_http.client import VERSION_HEADER, CrmHttp, RequestOptions
from appconnect.crm_http.errors import (
    CrmAuthExpired,
    CrmBadRequest,
    CrmError,
    CrmForbidden,
    CrmNotFound,
    CrmRateLimited,
    CrmRedirected,
    CrmRequestRefused,
    CrmUnavailable,
    CrmUncertain,
)
from appconnect.crm_http.outcomes import OUTCOMES, CrmAction, CrmNotice, CrmOutcome, action_for, outcome_for
from appconnect.crm_http.policy import HostPolicy, join_url
from appconnect.crm_http.ratelimit import RateLimitInfo, rate_limit_info

__all__ = [
    "OUTCOMES",
    "VERSION_HEADER",
    "CrmAction",
    "CrmAuthExpired",
    "CrmBadRequest",
    "CrmError",
    "CrmForbidden",
    "CrmHttp",
    "CrmNotFound",
    "CrmNotice",
    "CrmOutcome",
    "CrmRateLimited",
    "CrmRedirected",
    "CrmRequestRefused",
    "CrmUnavailable",
    "CrmUncertain",
    "HostPolicy",
    "RateLimitInfo",
    "RequestOptions",
    "Resolver",
    "action_for",
    "is_blocked_address",
    "join_url",
    "outcome_for",
    "rate_limit_info",
    "system_resolver",
]
