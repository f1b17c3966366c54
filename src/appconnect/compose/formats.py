"""The three body formats a CRM can ask for.

A connector declares which format its CRM stores (`getLogFormatType`); the composer writes and
edits bodies in exactly these three. Any other format is "custom": the core does not compose.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LogFormat"]


class LogFormat(StrEnum):
    """Body format of a call log, spelled as the MIME types the reference uses."""

    PLAIN = "text/plain"
    HTML = "text/html"
    MARKDOWN = "text/markdown"
