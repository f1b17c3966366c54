"""appconnect: the App Connect connector server, in Python.

The browser extension (a phone inside a CRM) asks this server to find callers, log calls and
messages, and keep those logs up to date. Each CRM is reached through a connector; see
`appconnect.connectors.base` for the API a connector implements.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("appconnect")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0.0.0"

__all__ = ["__version__"]
