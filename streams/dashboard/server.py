"""Serving the dashboard: forever for the CLI, or in a background thread for tests and the demo."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiohttp import web

__all__ = ["serve_forever", "serving_in_thread"]


async def _start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    assert server is not None and isinstance(server, asyncio.base_events.Server)
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return runner, f"http://{shown}:{bound_port}"


def serve_forever(
    app: web.Application, host: str, port: int, *, started: Callable[[str], None]
) -> None:
    """Serve until interrupted; ``started`` receives the bound address (port 0 resolved)."""

    async def main() -> None:
        runner, url = await _start(app, host, port)
        started(url)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())


@contextmanager
def serving_in_thread(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Serve ``app`` on its own event loop in a daemon thread; yields the base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            box["runner"], box["url"] = loop.run_until_complete(_start(app, host, port))
        except BaseException as exc:  # reported to the caller below
            box["error"] = exc
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="dashboard", daemon=True)
    thread.start()
    ready.wait()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    runner = box["runner"]
    assert isinstance(runner, web.AppRunner)
    try:
        yield str(box["url"])
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
