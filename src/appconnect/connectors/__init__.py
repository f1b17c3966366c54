"""Connectors: one package per CRM, each speaking that CRM's dialect through `appconnect.crm_http`.

Connector authors start at `appconnect.connectors.base` (the API) and `appconnect.connectors.types`
(typed inputs and results).
"""
