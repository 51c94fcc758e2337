"""Run the Typer app and turn whatever ends it into the documented exit code.

Typer raises click's exceptions from whichever copy of click it uses: typer >= 0.2x
bundles one as ``typer._click``, older releases use ``click`` itself, and the two class
trees are unrelated. ``_click_modules`` collects every copy present so that a usage error
always ends in click's short message and exit code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from tradewind.exceptions import USAGE_EXIT_CODE, TradewindError

__all__ = ["exit_code_epilog", "run_app"]

INTERRUPTED = 130


def _click_modules() -> list[ModuleType]:
    """The ``exceptions`` modules of every click copy typer may raise from."""
    modules = []
    try:
        from typer._click import exceptions as bundled
    except ImportError:  # typer that uses click itself
        pass
    else:
        modules.append(bundled)
    try:
        from click import exceptions as upstream
    except ImportError:  # typer that bundles click and click not installed
        pass
    else:
        modules.append(upstream)
    return modules


def _classes(name: str, *extra: type[BaseException]) -> tuple[type[BaseException], ...]:
    found = [getattr(module, name, None) for module in _click_modules()]
    return tuple({*extra, *(cls for cls in found if isinstance(cls, type))})


def run_app(app: typer.Typer, argv: Sequence[str] | None = None) -> int:
    """Run ``app`` on ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    Help (``-h``, a bare command or group) and ``--version`` give 0; usage errors print
    click's usage line and message on stderr and give 2; a ``TradewindError`` prints its
    message on stderr and gives its class's ``exit_code``; ``typer.Exit(n)`` gives ``n``.
    Any other exception is a bug and keeps its traceback (exit code 1).
    """
    errors = Console(stderr=True)
    click_error = _classes("ClickException")
    aborted = _classes("Abort", typer.Abort)
    exited = _classes("Exit", typer.Exit)
    try:
        code = app(args=None if argv is None else list(argv), prog_name="tradewind",
                   standalone_mode=False)
    except TradewindError as err:
        # the message is text, never markup: "[...]" in it must print as it is
        errors.print(Text.assemble(("error:", "bold red"), f" {err}"), highlight=False,
                     soft_wrap=True)
        return err.exit_code
    except click_error as err:
        return _show_click_error(err)
    except exited as done:
        return int(getattr(done, "exit_code", 0) or 0)
    except aborted:
        errors.print("aborted")
        return INTERRUPTED
    except KeyboardInterrupt:
        return INTERRUPTED
    return code if isinstance(code, int) else 0


def _show_click_error(err: Any) -> int:
    """Print a click error the way click does; a bare group's help is not an error."""
    if type(err).__name__ == "NoArgsIsHelpError":
        # typer's rich help is already printed while the exception is built; plain click
        # puts the help text in the message instead.
        text = err.format_message()
        if text:
            typer.echo(text)
        return 0
    err.show()
    return int(getattr(err, "exit_code", USAGE_EXIT_CODE))


def exit_code_epilog(codes: Mapping[int, str]) -> str:
    """The ``--help`` epilogue: one line per exit code."""
    lines = [f"{code:>3}  {meaning}" for code, meaning in sorted(codes.items())]
    return "Exit codes:\n\n" + "\n".join(lines)

