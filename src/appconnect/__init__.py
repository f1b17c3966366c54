"""appconnect: the App Connect connector server, in Python.

The browser extension (a phone inside a CRM) asks this server to find callers, log calls and
messages, and keep those logs up to date. Each CRM is reached through a connector; see
`appconnect.connectors.base` for the API a connector implements.
"""

from importlib.metadata import PackageNotFoundError, version

#: The distribution name on PyPI (`pip install appconnect-server`). The import package and the
#: command stay `appconnect`; the name `appconnect` on PyPI belongs to an unrelated project.
DISTRIBUTION = "appconnect-server"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0.0.0"

__all__ = ["DISTRIBUTION", "__version__"]
