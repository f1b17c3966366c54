"""`appconnect.asgi:app`: the app built from the environment, for any ASGI server."""

from appconnect.app import create_app
from appconnect.config import Settings
from appconnect.logging import configure_logging

_settings = Settings()
configure_logging(_settings.log_level, json_lines=_settings.is_prod)
app = create_app(_settings)
