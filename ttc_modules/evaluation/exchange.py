"""The FLOPs exchange of the paper's §7: test-time compute on a small model against a bigger model.

Pretraining costs X = 6 N D_pretrain FLOPs and inference Y = 2 N D_inference, for a model of N
parameters. A model M times larger costs M (X + Y). The small model spends the same FLOPs when it
multiplies its inference compute by ``M + 3 (D_pretrain / D_inference) (M - 1)``. With
R = D_inference / D_pretrain small (little inference traffic) that multiplier is large: test-time
compute is cheap to buy; with R large it approaches M.

Example:
    >>> round(inference_multiplier(14, ratio=0.16), 1)
    257.8
    >>> round(inference_multiplier(14, ratio=22), 2)
    15.77
"""

from __future__ import annotations


def inference_multiplier(multiplier: float, ratio: float) -> float:
    """How many times more inference FLOPs the small model may spend to match a model ``multiplier``
    times larger, where ``ratio`` = D_inference / D_pretrain."""
    if multiplier < 1:
        raise ValueError(f"the larger model must be at least as large: multiplier >= 1, got {multiplier}")
    if ratio <= 0:
        raise ValueError(f"ratio = D_inference / D_pretrain must be > 0, got {ratio}")
    return multiplier + 3.0 * (1.0 / ratio) * (multiplier - 1.0)


def exchange_table(params: float, multiplier: float, ratios: list[float], pretrain_tokens: float) -> list[dict]:
    """For each R: the FLOPs of the larger model and of the small one with matched test-time compute."""
    rows = []
    for ratio in ratios:
        inference_tokens = ratio * pretrain_tokens
        pretrain = 6.0 * params * pretrain_tokens
        inference = 2.0 * params * inference_tokens
        k = inference_multiplier(multiplier, ratio)
        rows.append({"ratio": ratio, "inference_multiplier": k, "large_model_flops": multiplier * (pretrain + inference),
                     "small_model_flops": pretrain + k * inference})
    return rows
