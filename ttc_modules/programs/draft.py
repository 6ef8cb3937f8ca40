"""A draft: one generated piece of a candidate (a whole solution, a step, a revision) and what it cost.

Example:
    >>> Draft("2 + 2 = 4.", tokens=6, rollout_id=0).final
    False
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Draft:
    """One generated text, the completion tokens it took, and what it holds.

    Attributes:
        text: the text (a step, or a whole solution's reasoning; for a program without reasoning its
            outputs as text).
        tokens: completion tokens it took.
        rollout_id: the sample's index in its request.
        ended: the model ended its text there (known only where the backend says so: ``lm/endings.py``).
        parsed: False when the adapter could not read it, or the program raised (a failed candidate).
        outputs: the program's output fields as the program produced them, once written (None for a
            step of unfinished reasoning, and for every draft of the math program, whose answer is read
            from its text).
        final: this step ends the reasoning (states the final answer, or begins the output fields).
        error: what a rollout of the program raised, for a failed draft (never stored in a graph).
    """

    text: str
    tokens: int
    rollout_id: int
    ended: bool = False
    parsed: bool = True
    outputs: dict | None = None
    final: bool = False
    error: BaseException | None = field(default=None, repr=False)
