"""Shared by the task tests: the examples as plain data, and drawn again in a fresh Python."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def as_data(examples) -> list[dict]:
    """The examples' fields, and which of them are inputs."""
    return [{**example.toDict(), "inputs": sorted(example.inputs().keys())} for example in examples]


def examples_in_a_fresh_python(module: str, hash_seed: int, n: int, seed: int) -> list[dict]:
    """``module.examples(n, seed=seed)`` drawn by another Python process with another hash seed."""
    code = ("import json; from tests.tasks.helpers import as_data; "
            f"from ttc_modules.tasks.{module} import examples; "
            f"print(json.dumps(as_data(examples({n}, seed={seed}))))")
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)
