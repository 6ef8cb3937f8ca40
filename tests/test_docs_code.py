"""Every Python block in README.md and docs/ runs as written.

Each block runs alone in a fresh interpreter, in a scratch directory that holds the repository's
``examples/``, with ``TTC_CONFIG`` pointing the configured backend at our loopback OpenAI server on
127.0.0.1 (fast answers in DSPy's chat-adapter format); a block that names the embedded model runs
it. Sizes are cut (``SMALLER``) so the suite stays fast. A block after ``<!-- not run: REASON -->``
is skipped with that reason; ``<!-- setup: COMMAND -->`` runs ``COMMAND`` (``ttc ...``) in the
scratch directory first.
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
BLOCK = re.compile(r"(?:<!-- (not run|setup): ([^\n]*?) -->\s*\n)?[ \t]*```python\n(.*?)[ \t]*```", re.S)
SMALLER = [(r"\bn=(?:8|16|64)\b", "n=2"), (r"\bbeam_width=4\b", "beam_width=2"), (r"\bk=2\b", "k=1"),
           (r"budgets=\[4, 16, 64\]", "budgets=[2, 4]"), (r"\bbudget=(?:8|16)\b", "budget=4"),
           (r"\bgenerations=(?:12|16)\b", "generations=4"), (r"n_parallel=4, n_sequential=4", "n_parallel=2, n_sequential=1")]


def blocks():
    for page in PAGES:
        text = page.read_text()
        for match in BLOCK.finditer(text):
            line = text[:match.start(3)].count("\n")
            yield pytest.param(match.group(1), match.group(2), textwrap.dedent(match.group(3)),
                               id=f"{page.relative_to(ROOT)}:{line}")


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    with OpenAIStubServer() as server:
        config = server.write_config(tmp_path_factory.mktemp("docs") / "ttc.yaml",
                                     backend={"model_type": "chat", "api_key_env": None, "max_tokens": 64})
        yield config


@pytest.mark.parametrize("note,detail,code", blocks())
def test_the_block_runs(note, detail, code, backend, tmp_path):
    if note == "not run":
        pytest.skip(detail)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "TTC_CONFIG": str(backend), "TTC_CACHE__DIR": str(tmp_path / "cache")}
    if note == "setup":
        command = shlex.split(detail)
        if command[0] == "ttc":
            command = [sys.executable, "-m", "ttc_modules.cli", *command[1:]]
        setup = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert setup.returncode == 0, setup.stderr[-2000:]
    for pattern, small in SMALLER:
        code = re.sub(pattern, small, code)
    ran = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=600)
    assert ran.returncode == 0, f"{code}\n{ran.stderr[-3000:]}"
