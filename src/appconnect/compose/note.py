"""The agent's note: the one item that opens the body instead of closing it.

The note the agent typed in the extension heads the call log. HTML and Markdown bodies split into
an "Agent notes" part and a "Call details" part, and every later item goes under the details.
"""

from __future__ import annotations

import re
from typing import Final

from ._js import JS_WHITESPACE, is_truthy, to_js_string
from .formats import LogFormat
from .patterns import upsert_first

__all__ = ["upsert_call_agent_note"]

# Plain: from `- Note: ` (or the older `- Agent notes: `) up to the next `- Xxx:` item line, a
# final LF or the end. Lines the user typed under the note are part of it.
_PLAIN: Final = re.compile(
    rf"- (?:Note|Agent notes): [\s\S]*?(?=\n- [A-Z][a-zA-Z{JS_WHITESPACE}/]*:|\n\Z|\Z)"
)
_HTML: Final = re.compile(r"<b>Agent notes</b>[\s\S]+?Call details</b>")
_MARKDOWN: Final = re.compile(r"## Agent notes\n[\s\S]*?\n## Call details")


def upsert_call_agent_note(body: str, note: object, *, log_format: str) -> str:
    """Put the agent's note at the top of the body, or replace the note already there.

    Args:
        body: the current call-log body.
        note: the note; a falsy value leaves the body unchanged.
        log_format: `text/plain`, `text/html` or `text/markdown`.

    Returns:
        The new body.

    Raises:
        ValueError: if `log_format` is not one of the three formats.

    Example:
        >>> upsert_call_agent_note("- Note: old\\n- Duration: 2 minutes\\n", "new", log_format="text/plain")
        '- Note: new\\n- Duration: 2 minutes\\n'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(note):
        return body
    text = to_js_string(note)
    if fmt is LogFormat.PLAIN:
        return upsert_first(body, _PLAIN, f"- Note: {text}", lambda old: f"- Note: {text}\n{old}")
    if fmt is LogFormat.HTML:
        head = f"<b>Agent notes</b><br>{text}<br><br><b>Call details</b>"
        return upsert_first(body, _HTML, head, lambda old: f"{head}<br>{old}")
    head = f"## Agent notes\n{text}\n\n## Call details"

    def prepend(old: str) -> str:
        # A body that already opens with the details heading keeps it instead of getting a second.
        if old.startswith("## Call details"):
            return f"## Agent notes\n{text}\n\n{old}"
        return f"{head}\n{old}"

    return upsert_first(body, _MARKDOWN, head, prepend)
