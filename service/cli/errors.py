"""How the command line fails: one line on stderr that says what is wrong and how to
fix it, exit code 2 for bad usage (arguments, configuration) and 1 for failures while
running; a traceback only with `--debug`.

Commands raise `UsageError` or `RuntimeFailure` themselves; the exceptions of the
layers below (configuration, boundary index, store, files) are mapped here, once.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

from service.settings import ConfigError

USAGE = 2
FAILURE = 1
INTERRUPTED = 130


class UsageError(ValueError):
    """The command was asked for something it cannot do; the message says how to fix it."""


class RuntimeFailure(RuntimeError):
    """The command could not finish; the message says what failed."""


def classify(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for an exception that ends a command."""
    # Imported on failure only: a command that needs neither starts without them.
    from service.locate import BoundariesError
    from service.store import StoreError

    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted"
    if isinstance(exc, UsageError):
        return USAGE, str(exc)
    if isinstance(exc, ConfigError):
        return USAGE, f"configuration error: {exc}"
    if isinstance(exc, RuntimeFailure | BoundariesError | StoreError):
        return FAILURE, str(exc)
    if isinstance(exc, FileNotFoundError):
        return USAGE, f"no such file: {exc.filename}"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return FAILURE, f"{exc.strerror or type(exc).__name__}{where}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return FAILURE, (
        f"internal error: {type(exc).__name__}: {text} (run with --debug for the traceback)"
    )


def run_guarded(command: Callable[[], int], *, debug: bool) -> int:
    """Run `command`; turn whatever ends it into an exit code and one line on stderr."""
    try:
        return command()
    except BrokenPipeError:
        # The reader went away (`borderwatch replay ... | head`): not a failure to report.
        # What is still buffered goes nowhere, so the exit's flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (Exception, KeyboardInterrupt) as exc:  # the one place every failure lands
        code, message = classify(exc)
        if debug:
            traceback.print_exc(file=sys.stderr)
        print(f"borderwatch: {one_line(message)}", file=sys.stderr)
        return code


def one_line(text: str) -> str:
    """`text` with every unprintable character (line breaks among them) escaped as
    Python writes it: the messages name files, keys and values that came from outside,
    and an error is one line however they are spelled."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (and how to get help) instead of the
    usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {one_line(message)} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(USAGE)


def latitude(text: str) -> float:
    """An argparse type: degrees north, -90 to 90."""
    return _degrees(text, 90.0, "latitude")


def longitude(text: str) -> float:
    """An argparse type: degrees east, -180 to 180."""
    return _degrees(text, 180.0, "longitude")


def _degrees(text: str, limit: float, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of degrees") from None
    if not -limit <= value <= limit:
        raise argparse.ArgumentTypeError(f"{what} must be between -{limit:g} and {limit:g}")
    return value


def address(text: str) -> str:
    """An argparse type: a 24-bit aircraft address, 6 hex digits (lowercased)."""
    from service.models import is_address

    value = text.strip().lower()
    if not is_address(value):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an aircraft address: 6 hex digits, e.g. ae2fd0"
        )
    return value
