"""The matching vocabulary of spec §3.3, as compiled regular expressions, and the one upsert step.

Every item rule in §3.4 to 3.6 is "find the first match of a pattern built from this vocabulary,
replace it with new text, or add the text when nothing matches". The reference wrote these as
JavaScript regular expressions; the builders below express the same matches in Python, minding
the differences that would change which text is matched: `$` is `\\Z`, `\\s` is JavaScript's
whitespace set, `.` also stops at CR, U+2028 and U+2029, and case-insensitive labels fold ASCII
only (JavaScript's non-Unicode `i` flag does not fold U+017F to `s` or the Kelvin sign to `k`).

Replacement text is always inserted literally through a function (Quirk R-6): a `$&` or `\\1`
typed by a user stays as typed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from ._js import JS_LINE_TERMINATORS, JS_WHITESPACE

__all__ = [
    "appending",
    "block_to",
    "dash_free",
    "div_block",
    "li_value",
    "line_lfs",
    "link_value",
    "md_section",
    "no_lt_value",
    "upsert_first",
    "upsert_plain_no_lt_item",
]

WS = f"[{JS_WHITESPACE}]"
"""JavaScript `\\s`."""
NOT_LINE_END = f"[^{JS_LINE_TERMINATORS}]"
"""JavaScript `.`."""
ANY = r"[\s\S]"

_IGNORE_CASE = re.IGNORECASE | re.ASCII


def _compile(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    return re.compile(pattern, _IGNORE_CASE if ignore_case else 0)


@functools.cache
def line_lfs(anchor: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """`anchor` + line + the LFs after it; the old line is in group `value`."""
    return _compile(re.escape(anchor) + r"(?P<value>[^\n]*)\n*", ignore_case=ignore_case)


@functools.cache
def dash_free(anchor: str) -> re.Pattern[str]:
    """`anchor` + a run of non-LF, non-`-` characters that ends at an LF (kept) or the body end."""
    return _compile(re.escape(anchor) + r"[^\n-]+(?=\n|\Z)")


@functools.cache
def no_lt_value(anchor: str) -> re.Pattern[str]:
    """`anchor` (any case) + ws + a run of non-LF, non-`<` characters up to an LF or the end."""
    return _compile(re.escape(anchor) + WS + r"*(?P<value>[^<\n]+)(?=\n|\Z)", ignore_case=True)


@functools.cache
def block_to(anchor: str, marker: str) -> re.Pattern[str]:
    """`anchor` through the first later `marker` (the shortest span, across lines)."""
    return _compile(re.escape(anchor) + ANY + "*?" + re.escape(marker))


@functools.cache
def md_section(label: str) -> re.Pattern[str]:
    """`### label` LF + the shortest span followed by LF `### `, a final LF, or the end."""
    return _compile(re.escape(f"### {label}\n") + ANY + r"*?(?=\n### |\n\Z|\Z)")


def _li_prefix(label: str) -> str:
    return r"(?:<li>)?<b>" + re.escape(label) + r"</b>:" + WS + "*"


_LI_END = r"(?:</li>|(?=<|\Z))"


@functools.cache
def li_value(label: str) -> re.Pattern[str]:
    """HTML `<li><b>label</b>: value</li>` (any case, `<li>` optional); the value is group `value`.

    A value must not contain `<` or LF and must end at `</li>`, another tag or the body end.
    """
    return _compile(_li_prefix(label) + r"(?P<value>[^<\n]+)" + _LI_END, ignore_case=True)


@functools.cache
def link_value(label: str) -> re.Pattern[str]:
    """Like `li_value`, but the value may be one `<a …>text</a>` element.

    Decision: the spec calls this "like li value"; the reference's plain-value branch is `[^<]+`,
    which also runs across LFs, and we follow the reference so both servers match the same text.
    """
    return _compile(_li_prefix(label) + r"(?:<a[^>]*>[^<]*</a>|[^<]+)" + _LI_END, ignore_case=True)


@functools.cache
def div_block(label: str) -> re.Pattern[str]:
    """HTML `<div><b>label</b><br>` + one or more characters on one line + `</div>`."""
    return _compile(re.escape(f"<div><b>{label}</b><br>") + NOT_LINE_END + r"+?</div>")


def appending(text: str) -> Callable[[str], str]:
    """Return the "add when absent" step that appends `text` to the body."""
    return lambda body: body + text


def upsert_plain_no_lt_item(body: str, label: str, value: str) -> str:
    """Upsert plain `- Label: value`, found case-insensitively by a no-`<` value; no LF added."""
    return upsert_first(
        body, no_lt_value(f"- {label}:"), f"- {label}: {value}", appending(f"- {label}: {value}\n")
    )


def upsert_first(body: str, pattern: re.Pattern[str], replacement: str, add: Callable[[str], str]) -> str:
    """Replace the first match of `pattern` with `replacement`, literally; else return `add(body)`."""
    new_body, count = pattern.subn(lambda _match: replacement, body, count=1)
    return new_body if count else add(body)
