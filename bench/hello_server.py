"""The baseline: a plain aiohttp "hello" server, nothing else (`python -m bench.hello_server PORT`)."""

from __future__ import annotations

import sys

from aiohttp import web


async def hello(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="hello", status=202 if request.method == "POST" else 200)


def main() -> None:
    app = web.Application(client_max_size=1_048_576)
    app.router.add_route("*", "/{tail:.*}", hello)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
