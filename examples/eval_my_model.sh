#!/usr/bin/env bash
# Accuracy against test-time compute for your own model, on GSM8K, per difficulty bin.
# Usage: examples/eval_my_model.sh examples/configs/vllm.yaml [OUT_DIR]
# The config names the backend (vLLM, SGLang, llama.cpp server, Ollama, OpenAI, ...); see
# examples/configs/. Rerun the same command to resume an interrupted run.
set -euo pipefail
config=${1:?usage: $0 CONFIG.yaml [OUT_DIR]}
out=${2:-runs/$(basename "$config" .yaml)}
ttc=${TTC:-.venv/bin/ttc}
"$ttc" eval --config "$config" --dataset gsm8k --limit 100 \
    --strategies majority,weighted,pass,beam_search --budgets 1,4,16 --verifier arithmetic \
    --max-rounds 10 --out "$out"
echo "plots: $out/accuracy_vs_budget.png $out/accuracy_vs_tokens.png"
