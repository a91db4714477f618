"""``cryotrace webhook-receiver [--host --port --secret-env NAME --store FILE]``: a reference receiver."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from aiohttp import web

from alerts.webhooks.signing import DEFAULT_TOLERANCE_S, WebhookSecret
from schemas.errors import ConfigError
from streams.delivery.receiver import (
    WebhookReceiver,
    create_receiver_app,
    jsonl_sink,
    stored_ids,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (0 picks a free one)")
    parser.add_argument(
        "--secret-env",
        default="CRYOTRACE_WEBHOOK_SECRET",
        metavar="NAME",
        help="environment variable holding the whsec_ secret (several: comma-separated names)",
    )
    parser.add_argument(
        "--store", type=Path, default=None, metavar="FILE", help="append alerts as JSON lines"
    )
    parser.add_argument(
        "--tolerance-s",
        type=float,
        default=DEFAULT_TOLERANCE_S,
        help="accepted clock skew of webhook-timestamp in seconds",
    )


def _secrets(names: str) -> list[WebhookSecret]:
    secrets = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        value = os.environ.get(name)
        if not value:
            raise ConfigError(f"environment variable {name} is not set")
        try:
            secrets.append(WebhookSecret.parse(value))
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    if not secrets:
        raise ConfigError("--secret-env names no variable")
    return secrets


async def _serve(args: argparse.Namespace, receiver: WebhookReceiver) -> None:
    runner = web.AppRunner(create_receiver_app(receiver), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"listening on http://{host}:{port}/", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    receiver = WebhookReceiver(_secrets(args.secret_env), tolerance_s=args.tolerance_s)
    if args.store is not None:
        receiver.remember(stored_ids(args.store))
        with args.store.open("a", encoding="utf-8") as out:
            receiver.sink = jsonl_sink(out)
            asyncio.run(_serve(args, receiver))
    else:
        receiver.sink = jsonl_sink(sys.stdout)
        asyncio.run(_serve(args, receiver))
    return 0
