"""What the message-log composers produce, and the HTML escaping they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["MessageLogContent", "escape_html"]

_HTML_ESCAPES: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#039;"})


def escape_html(text: str | None) -> str:
    """Escape caller text for an HTML body (`&`, `<`, `>`, `"` and `'`), as the shared-SMS composer does.

    `None` (a field the conversation does not have) gives `""`, as in the reference.

    Example:
        >>> escape_html("it's <b>"), escape_html(None)
        ('it&#039;s &lt;b&gt;', '')
    """
    if text is None:
        return ""
    return text.translate(_HTML_ESCAPES)


@dataclass(frozen=True)
class MessageLogContent:
    """A composed message log: the CRM record's subject and its whole body.

    The server hands it to connectors as `shared_sms_log_content` (wire name `sharedSMSLogContent`)
    when the body is composed centrally: shared-SMS conversations and selected-message logs.
    """

    subject: str
    body: str

    def to_wire(self) -> dict[str, str]:
        return {"subject": self.subject, "body": self.body}
