"""A child process for the kill -9 test: an evaluation on a slow scripted model, logging each finished call.

Usage: python eval_child.py OUT_DIR CALLS_LOG
"""

import json
import sys
import time

from ttc_modules.config import load_settings
from ttc_modules.evaluation.datasets import load_synthetic
from ttc_modules.evaluation.harness import Evaluation
from ttc_modules.lm import configure_cache
from ttc_modules.testing import scripted_lm
from ttc_modules.verifiers import ArithmeticChecker


def main() -> None:
    out_dir, calls_log = sys.argv[1], sys.argv[2]
    configure_cache(load_settings())  # the LM cache in $TTC_CACHE__DIR, as build_lm does

    def slow(prompt: str, seed: int) -> str:
        time.sleep(0.05)
        text = "The answer is 3." if "step" in prompt else f"step 1 v{seed % 10}\n\n1 + 2 = 3. The answer is {3 + seed % 2}."
        with open(calls_log, "a") as log:
            log.write(json.dumps([prompt[-60:], seed]) + "\n")
        return text

    examples = load_synthetic(3, levels=[1, 2])
    for example in examples:
        example.answer = "3"
    summary = Evaluation(examples, scripted_lm(slow), ArithmeticChecker(), ["majority", "weighted", "beam_search"],
                         [1, 2, 4], out_dir, progress=False,
                         search_options={"max_rounds": 2, "concurrency": 1}).run()
    print(json.dumps({"backend_calls": summary["backend_calls"]}))


if __name__ == "__main__":
    main()
