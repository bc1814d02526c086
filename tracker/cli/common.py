"""What every `tracker` subcommand shares: exit codes, the one-line error, reading an input
file, and running an async handler with the database open.

Exit codes: 0 done, 1 unexpected failure, 2 bad input, 3 conflict, 4 not found, 5 authentication
failed (remote commands), 6 server unreachable or not a tracker (remote commands)."""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
from pathlib import Path
from typing import NoReturn

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_CONFLICT = 3
EXIT_NOT_FOUND = 4
EXIT_AUTH = 5
EXIT_UNREACHABLE = 6


class CommandError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def read_file(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"文件不存在：{path}")
    return file.read_bytes()


def report_command(handler):
    """A command that renders a report (`handler`), run with the chart drawer and the renderer
    forked before it (cli.entry.start_report_helpers, at the command's first line): the chart
    drawer loads matplotlib and the renderer WeasyPrint while the handler reads the database;
    the handler then has the charts drawn by the drawer (report_archive.produce(charts_here=True))
    and the PDF rendered by the renderer, which starts as soon as the model is built, the charts
    reaching it while it lays the pages out (worker.start_report_processes). The command then
    ends without the interpreter's teardown."""

    def run(args) -> int:
        exit_without_teardown(handler(args))

    return run


def exit_without_teardown(code: int) -> NoReturn:
    """End a command that has finished its work: run the exit handlers (multiprocessing's
    clean-up among them), flush the standard streams, and leave without the interpreter's
    teardown, which with matplotlib and the database layer loaded takes ~0.35 CPU s of
    freeing objects nobody will use. Everything the command wrote is closed by then (the
    database pool by with_database, files by their `with` blocks)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def with_database(handler, migrates: bool = False):
    """Run an async command with the database engine's pool open (PostgreSQL); commands that do
    not migrate themselves refuse to run on an out-of-date schema."""

    def run(args) -> int:
        async def main() -> int:
            # Lazy: the database layer (Piccolo, the tables) is only loaded to run a command.
            from tracker.services.database import close_pool, open_pool, require_current_schema

            await open_pool()
            try:
                if not migrates:
                    try:
                        await require_current_schema()
                    except RuntimeError as error:
                        raise CommandError(str(error)) from None
                return await handler(args)
            finally:
                await close_pool()

        return asyncio.run(main())

    return run


