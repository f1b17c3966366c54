"""Errors of the sample CRM, expressed in the server's CRM error tree.

The sample CRM is local, but it fails like a remote one: an unknown record is a `CrmNotFound`
(HTTP 404), so the server maps it exactly as it would a real CRM's 404.
"""

from __future__ import annotations

from appconnect.crm_http.errors import CrmNotFound

__all__ = ["SampleCrmNotFound"]


class SampleCrmNotFound(CrmNotFound):
    """A contact, call activity or message log id the sample CRM does not hold.

    Example:
        >>> str(SampleCrmNotFound("call activity", "42"))
        'Sample CRM has no call activity with id 42'
    """

    def __init__(self, kind: str, record_id: object) -> None:
        super().__init__(f"Sample CRM has no {kind} with id {record_id}", status=404, platform="sample")
        self.kind = kind
        self.record_id = record_id
