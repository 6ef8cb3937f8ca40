"""The ``ttc`` command: solve a question, list models, evaluate, calibrate, serve, manage the cache.

One module per command (``solve.py``, ``models.py``, ``evaluate.py``, ``calibrate.py``, ``prm.py``,
``exchange.py``, ``serve.py``, ``graph.py``, ``cache.py``), each a few lines over library calls; the
options several commands take are defined once (``options.py``); ``output.py`` is where they print
and how an expected failure ends (one line on stderr, exit code 2, never a traceback; ``TTC_DEBUG=1``
shows it anyway). This module puts them together as :data:`app`. Heavy imports (DSPy, LiteLLM,
llama.cpp) happen inside the commands, so ``ttc --help`` is instant.

Example:
    $ ttc solve "Sam has 5 pencils and buys 3 more. How many pencils does he have?" --n 8
    $ ttc solve "What is 12 + 7?" --model openai/gpt-4o-mini --json
    $ ttc models
    $ ttc cache info
"""

from __future__ import annotations

import sys

import typer

from ttc_modules.cli.cache import cache_clear, cache_info
from ttc_modules.cli.calibrate import calibrate
from ttc_modules.cli.evaluate import evaluate
from ttc_modules.cli.exchange import exchange
from ttc_modules.cli.graph import graph
from ttc_modules.cli.models import models
from ttc_modules.cli.prm import label_steps, train_prm
from ttc_modules.cli.serve import serve
from ttc_modules.cli.solve import solve

LOCAL_RAY_CLUSTER = "local"  # --ray without an address (evaluation/workers.py's LOCAL; not imported: ttc stays quick)

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Test-time compute for DSPy programs: spend inference compute where it pays.")
cache_app = typer.Typer(no_args_is_help=True, help="Show or clear the on-disk cache of LM calls.")
app.add_typer(cache_app, name="cache")
for name, command in (("solve", solve), ("models", models), ("eval", evaluate), ("calibrate", calibrate),
                      ("label-steps", label_steps), ("train-prm", train_prm), ("exchange", exchange),
                      ("serve", serve), ("graph", graph)):
    app.command(name)(command)
cache_app.command("info")(cache_info)
cache_app.command("clear")(cache_clear)


def main() -> None:
    """Entry point of the ``ttc`` console script."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("dspy.clients.lm").setLevel(logging.ERROR)  # "response was truncated": expected in search
    app(args=with_ray_address(sys.argv[1:]), prog_name="ttc")


def with_ray_address(args: list[str]) -> list[str]:
    """``args`` with ``--ray`` given its address, ``local``, where it has none (at the end, or before another
    option): ``--ray [ADDRESS]`` takes an optional value, which the option parser cannot say.

    Example:
        >>> with_ray_address(["eval", "--ray", "--workers", "4"]), with_ray_address(["eval", "--ray", "auto"])
        (['eval', '--ray', 'local', '--workers', '4'], ['eval', '--ray', 'auto'])
    """
    given = []
    for i, arg in enumerate(args):
        given.append(arg)
        if arg == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-")):
            given.append(LOCAL_RAY_CLUSTER)
    return given
