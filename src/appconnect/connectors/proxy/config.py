"""Loading and validating a proxy configuration (spec platform §8.2) before anything uses it.

Why first: the reference reads whatever its store holds and fails on the agent's first call. Here a
configuration is checked against the shipped JSON Schema (`schema.json`), then for what a schema
cannot say (the base URL's host, operation URLs on another host, template paths that name no
input), and every problem is one line: `<file>: <JSON path>: <reason>`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx

from appconnect.connectors.proxy.schema_check import schema_errors
from appconnect.connectors.proxy.templates import template_paths
from appconnect.crm_http import HostPolicy
from appconnect.crm_http.policy import normalise_host
from appconnect.logging import remember_secret

__all__ = [
    "OPERATION_INPUTS",
    "ProxyConfig",
    "ProxyConfigError",
    "config_problems",
    "load_proxy_config",
    "parse_proxy_config",
    "proxy_config_schema",
]

COMMON_INPUTS = frozenset({"user", "apiKey", "authHeader", "secretKey"})
"""Template keys every operation has (§8.4)."""

_RING_SENSE = (
    "ringSenseTranscript",
    "ringSenseSummary",
    "ringSenseAIScore",
    "ringSenseBulletedSummary",
    "ringSenseLink",
)

OPERATION_INPUTS: Mapping[str, frozenset[str]] = {
    "getUserInfo": frozenset({"additionalInfo", "hostname", "platform", "userEmail"}),
    "findContact": frozenset({"phoneNumber", "parsedPhoneNumber", "overridingFormat", "isExtension"}),
    "findContactWithName": frozenset({"name"}),
    "createContact": frozenset({"phoneNumber", "newContactName", "newContactType", "additionalSubmission"}),
    "createCallLog": frozenset(
        {
            "contactInfo",
            "callLog",
            "note",
            "additionalSubmission",
            "aiNote",
            "transcript",
            "voicemailLink",
            "voicemailMessageId",
            "composedLogDetails",
            "hashedAccountId",
            "isFromSSCL",
            "subject",
            "startTime",
            "endTime",
            *_RING_SENSE,
        }
    ),
    "getCallLog": frozenset({"thirdPartyLogId", "contactId"}),
    "updateCallLog": frozenset(
        {
            "thirdPartyLogId",
            "existingCallLog",
            "recordingLink",
            "recordingDownloadLink",
            "voicemailLink",
            "voicemailMessageId",
            "subject",
            "note",
            "startTime",
            "endTime",
            "duration",
            "result",
            "legs",
            "aiNote",
            "transcript",
            "additionalSubmission",
            "composedLogDetails",
            "existingCallLogDetails",
            "hashedAccountId",
            "isFromSSCL",
            *_RING_SENSE,
        }
    ),
    "upsertCallDisposition": frozenset({"existingCallLog", "dispositions", "thirdPartyLogId"}),
    "createMessageLog": frozenset(
        {
            "contactInfo",
            "message",
            "additionalSubmission",
            "recordingLink",
            "faxDocLink",
            "faxDownloadLink",
            "imageLink",
            "videoLink",
            "creationTime",
            "composedLogDetails",
            "composedLogEntry",
            "subject",
        }
    ),
    "updateMessageLog": frozenset(
        {
            "contactInfo",
            "existingMessageLog",
            "thirdPartyLogId",
            "message",
            "additionalSubmission",
            "imageLink",
            "videoLink",
            "creationTime",
            "composedLogDetails",
            "composedLogEntry",
            "subject",
        }
    ),
    "getUserList": frozenset(),
    "getLicenseStatus": frozenset({"userId", "platform"}),
    "unAuthorize": frozenset(),
}
"""Template inputs of each operation (§8.5), besides `COMMON_INPUTS`.

The message operations' `composedLogDetails`, `subject` and `composedLogEntry` are appconnect's:
the whole log (subject and body, in `meta.logFormat`) of a new conversation day, or of a shared or
selected conversation, and the entry of this one message (what `updateMessageLog` adds to the
day's log). A `custom` format leaves them empty."""


class ProxyConfigError(ValueError):
    """A configuration was refused; the message is one line: `<source>: <JSON path>: <reason>`."""

    def __init__(self, source: str, path: str, reason: str) -> None:
        super().__init__(f"{source}: {path}: {reason}")
        self.source = source
        self.path = path
        self.reason = reason


@cache
def proxy_config_schema() -> dict[str, Any]:
    """The JSON Schema shipped with the package (`appconnect/connectors/proxy/schema.json`)."""
    text = files("appconnect.connectors.proxy").joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _base_host(raw: Mapping[str, Any]) -> str | None:
    base = raw.get("requestDefaults", {}).get("baseUrl")
    if not isinstance(base, str):
        return None
    try:
        return normalise_host(httpx.URL(base).host) or None
    except (httpx.InvalidURL, TypeError):
        return None


def _semantic_problems(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    host = _base_host(raw)
    if host is None:
        return [("$.requestDefaults.baseUrl", "has no valid host")]
    for name, operation in raw.get("operations", {}).items():
        where = f"$.operations.{name}"
        url = operation.get("url", "")
        if url.startswith(("http://", "https://")):
            literal = url.split("{{", 1)[0]
            try:
                url_host = normalise_host(httpx.URL(literal).host)
            except (httpx.InvalidURL, TypeError):
                url_host = ""
            authority = url.split("/", 3)[2] if url.count("/") >= 2 else ""
            if "{{" in authority:
                problems.append((f"{where}.url", "an absolute URL must not template its host"))
            elif url_host != host:
                problems.append(
                    (f"{where}.url", f"host {url_host or '(none)'} is not the baseUrl host {host}")
                )
        elif url.startswith("//"):
            problems.append((f"{where}.url", "a scheme-relative URL is not allowed; use a path"))
        allowed = COMMON_INPUTS | OPERATION_INPUTS.get(name, frozenset())
        for part in ("url", "headers", "query", "body"):
            for template in template_paths(operation.get(part)):
                first = template.split(".", 1)[0]
                if first not in allowed:
                    problems.append(
                        (
                            f"{where}.{part}",
                            f"{{{{{template}}}}} names no input of {name} "
                            f"(inputs: {', '.join(sorted(allowed))})",
                        )
                    )
        for part in ("auth",):
            credential = (operation.get(part) or {}).get("credentialTemplate")
            for template in template_paths(credential):
                if template.split(".", 1)[0] not in allowed:
                    problems.append(
                        (f"{where}.auth.credentialTemplate", f"{{{{{template}}}}} names no input")
                    )
    for template in template_paths(raw.get("auth", {}).get("credentialTemplate")):
        if template.split(".", 1)[0] not in COMMON_INPUTS | {"hostname", "additionalInfo"}:
            problems.append(("$.auth.credentialTemplate", f"{{{{{template}}}}} names no input"))
    for template in template_paths(raw.get("requestDefaults", {}).get("defaultHeaders")):
        if template.split(".", 1)[0] not in COMMON_INPUTS:
            problems.append(
                (
                    "$.requestDefaults.defaultHeaders",
                    f"{{{{{template}}}}} names no input common to every operation "
                    f"({', '.join(sorted(COMMON_INPUTS))})",
                )
            )
    auth = raw.get("auth", {})
    if auth.get("type") == "oauth":
        for key in ("clientId", "tokenUrl"):
            if not auth.get(key):
                problems.append(("$.auth", f"{key!r} is required for an oauth configuration"))
        if not auth.get("clientSecret") and not auth.get("clientSecretEnv"):
            problems.append(
                ("$.auth", "'clientSecretEnv' (or 'clientSecret') is required for an oauth configuration")
            )
    return problems


def config_problems(raw: Any) -> list[tuple[str, str]]:
    """Every `(json_path, reason)` wrong with a parsed configuration: schema first, then the rest."""
    problems = list(schema_errors(raw, proxy_config_schema()))
    if problems:
        return problems
    return _semantic_problems(raw)


@dataclass(frozen=True)
class ProxyConfig:
    """A validated configuration: the raw document plus what the connector derives from it.

    `secret_key` and `client_secret` are read from the environment variables the file names
    (`secretKeyEnv`, `auth.clientSecretEnv`), so the file itself can be committed.
    """

    raw: Mapping[str, Any]
    source: str
    secret_key: str = field(default="", repr=False)
    client_secret: str | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return str(self.raw["meta"]["name"])

    @property
    def display_name(self) -> str:
        return str(self.raw["meta"].get("displayName") or self.name)

    @property
    def log_format(self) -> str:
        """`meta.logFormat`, or `custom` (no composed body) when absent, as the reference does."""
        return str(self.raw["meta"].get("logFormat") or "custom")

    @property
    def auth(self) -> Mapping[str, Any]:
        auth: Mapping[str, Any] = self.raw.get("auth") or {}
        return auth

    @property
    def auth_type(self) -> str:
        return str(self.auth.get("type") or "apiKey")

    @property
    def base_url(self) -> str:
        return str(self.raw["requestDefaults"]["baseUrl"])

    @property
    def timeout_seconds(self) -> float:
        return float(self.raw["requestDefaults"].get("timeoutSeconds") or 30)

    @property
    def operations(self) -> Mapping[str, Mapping[str, Any]]:
        operations: Mapping[str, Mapping[str, Any]] = self.raw.get("operations") or {}
        return operations

    def policy(self, *, allow_private: bool | None = None) -> HostPolicy:
        """The host policy: the base URL's host and nothing else."""
        return HostPolicy.for_base_url(self.base_url, platform=self.name, allow_private=allow_private)

    def manifest(self) -> dict[str, Any]:
        """The platform's manifest fragment: the file's `manifest`, else one built from meta and auth."""
        given = self.raw.get("manifest")
        if isinstance(given, Mapping):
            copied: dict[str, Any] = json.loads(json.dumps(given))  # a deep copy
            return copied
        auth: dict[str, Any] = {"type": self.auth_type}
        if self.auth_type == "oauth":
            auth["oauth"] = {
                "authUrl": self.auth.get("authorizationUri") or "",
                "clientId": self.auth.get("clientId") or "",
                "redirectUri": self.auth.get("redirectUri") or "",
                **({"scope": self.auth["scopes"]} if self.auth.get("scopes") else {}),
            }
        else:
            auth["apiKey"] = {
                "page": {
                    "title": self.display_name,
                    "content": [
                        {"const": "apiKey", "title": "API key", "type": "inputField", "required": True}
                    ],
                }
            }
        base = httpx.URL(self.base_url)
        return {
            "name": self.name,
            "displayName": self.display_name,
            "auth": auth,
            "environment": {"type": "fixed", "url": f"{base.scheme}://{base.netloc.decode('ascii')}"},
            "contactTypes": [{"display": "Contact", "value": "Contact"}],
            "settings": [],
            "page": {"callLog": {"additionalFields": []}, "messageLog": {"additionalFields": []}},
        }


def parse_proxy_config(raw: Any, source: str, *, environ: Mapping[str, str] | None = None) -> ProxyConfig:
    """Validate a parsed document and build its `ProxyConfig`.

    Raises:
        ProxyConfigError: the first problem, as `<source>: <JSON path>: <reason>`.
    """
    problems = config_problems(raw)
    if problems:
        path, reason = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ProxyConfigError(source, path, reason + more)
    environment = os.environ if environ is None else environ
    secret_env = raw.get("secretKeyEnv")
    secret_key = ""
    if secret_env:
        secret_key = environment.get(secret_env, "")
        if not secret_key:
            raise ProxyConfigError(source, "$.secretKeyEnv", f"environment variable {secret_env} is not set")
    auth = raw.get("auth") or {}
    client_secret = auth.get("clientSecret")
    if auth.get("clientSecretEnv"):
        client_secret = environment.get(auth["clientSecretEnv"])
        if not client_secret:
            raise ProxyConfigError(
                source, "$.auth.clientSecretEnv", f"environment variable {auth['clientSecretEnv']} is not set"
            )
    for secret in (secret_key, client_secret):
        remember_secret(secret)  # masked in every log line from now on
    return ProxyConfig(raw=raw, source=source, secret_key=secret_key, client_secret=client_secret)


def load_proxy_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> ProxyConfig:
    """Read, parse and validate one configuration file.

    Raises:
        ProxyConfigError: unreadable file, invalid JSON (with line and column) or an invalid document.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProxyConfigError(
            source, "$", f"cannot read the file: {error.__class__.__name__}: {error}"
        ) from error
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProxyConfigError(
            source, "$", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from error
    return parse_proxy_config(raw, source, environ=environ)
