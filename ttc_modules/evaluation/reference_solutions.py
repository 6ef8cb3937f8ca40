"""Reference solutions written by others, rewritten in the model's answer format.

The embedded model is prompted to write one step per paragraph and to end with "The answer is N."
(``ttc_modules/prompts.py``). A GSM8K solution is one step per line with calculator annotations
(``<<48/2=24>>``) and a last line ``#### N``; rewritten, it is what a model that solved the
question well would have written, which is what graders and verifiers are measured on.

Example:
    >>> in_model_format("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\\n#### 24")
    'Natalia sold 48/2 = 24 clips in May.\\n\\nThe answer is 24.'
"""

from __future__ import annotations

import re


def in_model_format(solution: str) -> str:
    """A GSM8K solution as the model writes one: a step per paragraph, then "The answer is N."."""
    body, final = solution.split("####")
    steps = [re.sub(r"<<[^>]*>>", "", line).strip() for line in body.strip().splitlines() if line.strip()]
    return "\n\n".join([*steps, f"The answer is {final.strip()}."])
