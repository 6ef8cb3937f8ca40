"""Tasks to show test-time compute on any DSPy program, not only math.

A task is a program (a ``dspy.Signature``), examples in its fields (seeded and generated, or shipped
with the package), and a metric ``metric(example, pred, trace=None) -> bool``. Each module offers
``examples(n, seed=0, levels=...)``: ``dspy.Example`` objects with an ``id``, the input and label
fields and a ``level`` (1 = easiest), their inputs set to the signature's input fields.

- ``last_letters``: the last letter of each word, concatenated (Wei et al. 2022).
- ``coin_flip``: whether a coin is still heads up after some people flip it (Wei et al. 2022).
- ``passage_verdict``: a yes/no question answered from a short passage about made-up people.
- ``generated``: what the generated tasks share (checking a request, seeded streams, reading a prediction).
- ``humaneval``: complete a Python function (OpenAI's HumanEval, 164 problems shipped, so its
  ``examples(limit=None)`` takes no seed or levels), scored by running its tests in ``ttc_modules.sandbox``;
  ``examples_reward`` scores a candidate on the docstring's own examples (``docstring_examples``).
"""
