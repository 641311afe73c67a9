"""User-facing errors.

Every mistake a user can make (bad config key, missing file, unknown override) raises
``NslError`` with a message that names the file, line, key or value and what would be valid.
The CLI prints the message without a traceback; library callers can catch it.
"""

from __future__ import annotations

import sys
from difflib import get_close_matches
from typing import Callable, Iterable, NoReturn


class NslError(Exception):
    """An error caused by user input. The message is meant to be read by a person."""


def unknown_key_error(key: str, valid: Iterable[str], where: str) -> NslError:
    """Build the standard 'unknown key' error: names the key, the place and the valid keys."""
    valid = sorted(valid)
    close = get_close_matches(key, valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return NslError(f"{where}: unknown key '{key}'.{hint} Valid keys: {', '.join(valid)}")


def run_main(main: Callable[[], int | None]) -> NoReturn:
    """``if __name__ == "__main__": run_main(main)``: an NslError is one clear line and exit code 2."""
    try:
        code = main()
    except NslError as e:
        print(f"error: {e}", file=sys.stderr)
        code = 2
    sys.exit(code or 0)
