"""`appconnect.asgi:app`: the app built from the environment, for any ASGI server.

A configuration mistake, or a start-up that fails in the lifespan, prints one line on stderr and
ends the process (see `appconnect.startup`), instead of a traceback. Run under uvicorn directly,
pass `--http appconnect.http_server:DeadlineHttpToolsProtocol` for the slow-client deadlines that
`appconnect serve` sets itself.
"""

from appconnect.startup import serve_app

app = serve_app()
