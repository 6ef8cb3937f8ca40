"""Every shell block in README.md and docs/ runs as written.

The blocks of one page run in order in one scratch directory (a later command reads what an earlier
one wrote, as a reader following the page would), each ``ttc`` command as a subprocess with the
configured backend pointed at our loopback OpenAI server on 127.0.0.1 (``TTC_CONFIG``); a
``--config`` on the page is replaced by that one (``tests/backends/test_example_configs.py`` checks
the example configs themselves). A command that names an embedded model by environment runs it.
Sizes are cut (``SMALLER``), ``[optional arguments]`` are left out and ``"..."`` becomes a question.
A block after ``<!-- not run: REASON -->`` is skipped with that reason; any other block may hold
only ``ttc`` commands and ``export``s.
"""

import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ttc_modules.testing import OpenAIStubServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"(?:<!-- not run: ([^\n]*?) -->\s*\n)?^[ \t]*```bash\n(.*?)^[ \t]*```", re.S | re.M)
QUESTION = "What is 12 + 7?"
SMALLER = [(r'"(?:\.\.\.|QUESTION)"', f'"{QUESTION}"'), (r"--n \d+", "--n 2"), (r"--beam-width \d+", "--beam-width 2"),
           (r"--k \d+", "--k 1"), (r"--n-(parallel|sequential) \d+", r"--n-\1 2"), (r"--limit \d+", "--limit 4"),
           (r"synthetic:\d+", "synthetic:2"), (r"--budgets [\d,]+", "--budgets 2"), (r"--budget \d+", "--budget 4"),
           (r"--(samples|rollouts) \d+", r"--\1 2"), (r"\s\[[^\]]*\]", ""),
           (r"(ttc eval\b.*?)--limit 4", r"\1--limit 1"),  # four questions to label and train on, one to evaluate
           (r"(ttc calibrate\b.*?)--budgets 2", r"\1--budgets 2,4")]  # a policy chooses between budgets


def commands(block: str) -> list[str]:
    """The block's command lines: continuations joined, comment lines dropped, sizes cut."""
    lines = textwrap.dedent(block).replace("\\\n", " ").splitlines()
    kept = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    for pattern, small in SMALLER:
        kept = [re.sub(pattern, small, line) for line in kept]
    return kept


def pages():
    for page in PAGES:
        found = [(note, commands(code)) for note, code in BLOCK.findall(page.read_text())]
        if found:
            yield pytest.param(found, id=str(page.relative_to(ROOT)))


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    with OpenAIStubServer() as server:
        yield server.write_config(tmp_path_factory.mktemp("commands") / "ttc.yaml",
                                  backend={"model_type": "chat", "api_key_env": None, "max_tokens": 64})


@pytest.mark.parametrize("blocks", pages())
def test_the_page_s_commands_run(blocks, backend, tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "TTC_CONFIG": str(backend), "TTC_CACHE__DIR": str(tmp_path / "cache")}
    for note, lines in blocks:
        if note:
            continue
        for line in lines:
            run_line(line, env, backend, tmp_path)


def run_line(line: str, env: dict, backend: Path, cwd: Path) -> None:
    words = shlex.split(line, comments=True)
    if words[0] == "export":
        env.update(word.split("=", 1) for word in words[1:])
        return
    assignments = {}
    while "=" in words[0] and not words[0].startswith("-"):
        name, value = words.pop(0).split("=", 1)
        assignments[name] = value
    assert words[0] in ("ttc", ".venv/bin/ttc"), (
        f"{line!r}: a shell block runs only ttc commands; put <!-- not run: WHY --> before the block")
    here = {**env, **assignments}
    if assignments.get("TTC_BACKEND__MODEL", "").startswith("local/"):
        here.pop("TTC_CONFIG")  # the embedded model, as the command says
    arguments = _with_config(words[1:], backend)
    ran = subprocess.run([sys.executable, "-m", "ttc_modules.cli", *arguments], cwd=cwd, env=here,
                         capture_output=True, text=True, timeout=900)
    assert ran.returncode == 0, f"{line}\n{ran.stdout[-1500:]}\n{ran.stderr[-3000:]}"


def _with_config(arguments: list[str], backend: Path) -> list[str]:
    """``arguments`` with any ``--config FILE`` pointing at the loopback server's config instead."""
    return [str(backend) if i and arguments[i - 1] == "--config" else word for i, word in enumerate(arguments)]
