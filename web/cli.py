"""Subcommands of this area; edge.cli calls register()."""

from __future__ import annotations

import argparse

from edge.cli_support import Context, add_command


def _web(args: argparse.Namespace, ctx: Context) -> int:
    from web.server import serve

    web = ctx.config.web
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    return serve(ctx.data_dir, ctx.config, args.host or web.host, args.port or web.port)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands."""
    parser = add_command(
        sub,
        "web",
        _web,
        "serve the tablet page (sorting screen, receive, pickup, stocktake, reports)",
        description="Serve the tablet page with waitress until stopped. Tells systemd "
        "READY=1 once the page answers, then WATCHDOG=1 while it keeps answering.",
    )
    parser.add_argument("--host", help="address to listen on (default: [web] host, 0.0.0.0)")
    parser.add_argument("--port", type=int, help="port to listen on (default: [web] port, 8080)")
