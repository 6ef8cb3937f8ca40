"""``await strategy.acall(...)``: the search's control flow in one worker thread, each of its requests a
coroutine on the caller's event loop (not a thread per sample), with the same answers and cache."""

import asyncio
import threading

from tests.strategies.helpers import Q, seven_or_nine
from ttc_modules import BeamSearch, BestOfN
from ttc_modules.testing import StepScript, scripted_lm, v_score


def on_a_loop(start):
    """Run ``start()``'s coroutine under ``asyncio.run``: its result, and the event loop's thread."""
    async def main():
        return await start(), threading.get_ident()

    return asyncio.run(main())


def chat_adapter_reply(prompt: str, seed: int) -> str:
    answer = 9 if seed % 3 == 0 else 7
    return f"[[ ## reasoning ## ]]\nThe answer is {answer}.\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


def test_each_sample_is_a_coroutine_on_the_callers_loop_on_the_text_path():
    lm = scripted_lm(seven_or_nine, batch_samples=False)  # one request per sample
    prediction, loop_thread = on_a_loop(lambda: BestOfN(n=4, selection="majority", lm=lm).acall(question=Q))
    assert prediction.answer == "7" and prediction.spent["generations"] == 4
    assert lm.provider_fake.async_threads == [loop_thread] * 4


def test_each_sample_is_a_coroutine_on_the_callers_loop_on_the_signature_path():
    lm = scripted_lm(chat_adapter_reply, batch_samples=False, prompt_style="signature")
    prediction, loop_thread = on_a_loop(lambda: BestOfN(n=4, selection="majority", lm=lm).acall(question=Q))
    assert prediction.answer == "7" and prediction.spent["lm_calls"] == 4
    assert lm.provider_fake.async_threads == [loop_thread] * 4


def test_a_plain_call_makes_its_requests_without_an_event_loop():
    lm = scripted_lm(seven_or_nine, batch_samples=False)
    BestOfN(n=3, selection="majority", lm=lm)(question=Q)
    assert lm.provider_fake.calls == 3 and lm.provider_fake.async_threads == []


def test_acall_searches_as_a_call_does_and_they_share_one_cache():
    lm = scripted_lm(StepScript(length=3))
    strategy = BeamSearch(n=4, beam_width=2, verifier=v_score, lm=lm)
    awaited, loop_thread = on_a_loop(lambda: strategy.acall(question=Q))
    requests = lm.provider_fake.calls
    assert requests > 1 and set(lm.provider_fake.async_threads) == {loop_thread}
    called = strategy(question=Q)
    assert lm.provider_fake.calls == requests  # every request of the call came from acall's cache entries
    assert called.answer == awaited.answer and called.spent["generations"] == awaited.spent["generations"]
    texts = lambda graph: sorted(data["text"] for _, data in graph.nodes(data=True))  # noqa: E731
    assert texts(called.graph) == texts(awaited.graph)
