"""Reusable fake-CRM toolkit: a recording, fault-injecting HTTP server for connector tests."""

from tests.fakes.generic_crm import GENERIC_CRM_TOKEN, ContactStore, create_generic_crm_app
from tests.fakes.server import FakeCrmServer, FaultInjector, FaultMiddleware, RecordedRequest

__all__ = [
    "GENERIC_CRM_TOKEN",
    "ContactStore",
    "FakeCrmServer",
    "FaultInjector",
    "FaultMiddleware",
    "RecordedRequest",
    "create_generic_crm_app",
]
