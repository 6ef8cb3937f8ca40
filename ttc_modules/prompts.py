"""Few-shot prompts for arithmetic word problems, for chat models and for base (completion) models.

Tiny models follow a format only when shown it: three worked examples, each step on its own
paragraph and the last line "The answer is N.". Chat models see the examples as earlier turns;
base models see them as one plain text with stop sequences that end a sample at the next question.

Example:
    >>> messages = chat_messages("Tom has 3 apples and buys 2 more. How many apples does he have?")
    >>> messages[-1]["role"]
    'user'
    >>> text_prompt("What is 2 + 2?").endswith("Answer:")
    True
"""

from __future__ import annotations

INSTRUCTION = ("Solve the math word problem step by step. Put each step on its own line, separated by a "
               "blank line. End with 'The answer is N.'")

FEW_SHOT: list[tuple[str, str]] = [
    ("Sam has 5 pencils and buys 3 more. How many pencils does Sam have now?",
     "Sam starts with 5 pencils and buys 3 more: 5 + 3 = 8.\n\nThe answer is 8."),
    ("A box holds 4 rows of 6 eggs. How many eggs are in the box?",
     "Each row has 6 eggs and there are 4 rows: 4 * 6 = 24.\n\nThe answer is 24."),
    ("Mia had 20 dollars. She spent 7 dollars on lunch and 5 dollars on a book. How much money does she have left?",
     "She spent 7 + 5 = 12 dollars.\n\nShe has 20 - 12 = 8 dollars left.\n\nThe answer is 8."),
]

# A base model writes the next "Question:" itself after its answer: cut it there.
TEXT_STOP = ["\nQuestion:", "\n\n\n"]


def chat_messages(question: str, shots: list[tuple[str, str]] | None = None) -> list[dict]:
    """The question as a chat: an instruction, the worked examples (``shots``, by default
    :data:`FEW_SHOT`) as earlier turns, then the question."""
    messages = [{"role": "system", "content": INSTRUCTION}]
    for demo_question, demo_solution in shots or FEW_SHOT:
        messages += [{"role": "user", "content": demo_question},
                     {"role": "assistant", "content": demo_solution}]
    return messages + [{"role": "user", "content": question}]


def text_prompt(question: str, shots: list[tuple[str, str]] | None = None) -> str:
    """The question as a plain few-shot text for base models (stop with :data:`TEXT_STOP`); ``shots`` as
    in :func:`chat_messages`."""
    examples = "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in shots or FEW_SHOT)
    return f"{examples}Question: {question}\nAnswer:"


def attempts_block(attempts: list[str]) -> str:
    """Earlier attempts as one text, oldest first, numbered."""
    return "\n\n".join(f"Attempt {i}:\n{attempt.strip()}" for i, attempt in enumerate(attempts, 1))


def revision_question(question: str, attempts: list[str]) -> str:
    """The question followed by the earlier attempts, asking for a new, corrected solution."""
    if not attempts:
        return question
    return (f"{question}\n\nEarlier attempts (they may contain mistakes):\n\n{attempts_block(attempts)}\n\n"
            "Write a new, correct solution.")
