"""Run the real ASGI app on a real socket (uvicorn, loopback, a free port) in a background thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import uvicorn

from appconnect.http_server import DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, protocol_with_timeouts


class LiveServer:
    """`with LiveServer(app) as server: httpx.get(server.url + "/isAlive")`."""

    def __init__(
        self,
        app: Any,
        *,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        access_log: bool = False,
    ) -> None:
        self.app = app
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=0,
                log_config=None,
                lifespan="on",
                access_log=access_log,
                http=protocol_with_timeouts(header_timeout, body_timeout),  # as `appconnect serve`
            )
        )
        self._thread = threading.Thread(target=self._run, name="appconnect-live-server", daemon=True)
        self.url = ""
        self.loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._server.serve())

    def __enter__(self) -> LiveServer:
        self._thread.start()
        for _ in range(2000):
            if self._server.started:
                break
            if not self._thread.is_alive():
                raise RuntimeError("the server failed to start")
            threading.Event().wait(0.005)
        else:
            raise RuntimeError("the server did not start in time")
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
