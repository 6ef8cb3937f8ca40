"""Anthropic's and Ollama's chat APIs as OpenAI's, both ways (``api_dialects.py``)."""

from ttc_modules.testing.api_dialects import (
    DIALECTS,
    anthropic_request,
    anthropic_response,
    ollama_request,
    ollama_response,
)

COMPLETION = {"id": "stub-1", "model": "m", "usage": {"prompt_tokens": 3, "completion_tokens": 2},
              "choices": [{"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": "4."}}]}


def test_openai_s_paths_are_answered_as_they_are():
    body = {"model": "m", "prompt": "1 + 1 ="}
    assert DIALECTS["/v1/chat/completions"].chat and not DIALECTS["/v1/completions"].chat
    assert DIALECTS["/v1/completions"].request(body) is body and DIALECTS["/v1/completions"].response(body) is body


def test_anthropic_s_system_blocks_and_stop_sequences():
    request = anthropic_request({"model": "m", "system": [{"type": "text", "text": "Be brief."}], "max_tokens": 9,
                                 "stop_sequences": ["="], "messages": [{"role": "user", "content": "2 + 2?"}]})
    assert request["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2 + 2?"}]
    assert (request["n"], request["stop"], request["max_tokens"]) == (1, ["="], 9)
    response = anthropic_response(COMPLETION)
    assert response["id"] == "msg_stub-1" and response["content"] == [{"type": "text", "text": "4."}]
    assert response["stop_reason"] == "max_tokens" and response["usage"] == {"input_tokens": 3, "output_tokens": 2}


def test_ollama_s_options_become_openai_s_fields():
    request = ollama_request({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                              "options": {"seed": 4, "num_predict": 7, "stop": ["\n"]}})
    assert request == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 1, "seed": 4,
                       "temperature": 0.8, "max_tokens": 7, "stop": ["\n"]}
    response = ollama_response(COMPLETION)
    assert response["message"]["content"] == "4." and response["done_reason"] == "length"
    assert (response["prompt_eval_count"], response["eval_count"]) == (3, 2)
