"""``ttc serve`` under hostile input: the exact requests that once bought more than their budget, crashed
a handler or outlived their client, each answered now with a 4xx naming the fix, memory bounded."""

import http.client
import json
import socket
import time

import httpx
import pytest

from tests.serving.conftest import RunningApp, settings_for
from tests.serving.test_errors import QUESTION, error_of, post
from ttc_modules.config import ConfigError
from ttc_modules.serving import create_app
from ttc_modules.testing import OpenAIStubServer

pytestmark = pytest.mark.integration


def ask(**ttc) -> dict:
    """The issue's request to ``bo8`` (best-of-N, budget 8), with ``ttc`` options."""
    return {"model": "bo8", "messages": [{"role": "user", "content": "What is 1 + 3?"}], "ttc": ttc}


def test_no_option_sizes_work_beyond_the_budget(command):
    before = command.memory_mib()
    message = error_of(post(command, ask(strategy="revisions", n_parallel=10_000_000)), 400)
    assert "ttc.n_parallel=10000000" in message and "budget of 8" in message
    for ttc, named in [({"strategy": "revisions", "n_parallel": 0}, "ttc.n_parallel=0 is not valid"),
                       ({"strategy": "revisions", "n_parallel": "x"}, "ttc.n_parallel='x' is not valid"),
                       ({"strategy": "revisions", "n_parallel": 3, "n_sequential": 3}, "ttc.n_parallel takes an integer from 1 to 2"),
                       ({"strategy": "lookahead", "k": 1000}, "ttc.k=1000 makes lookahead cost 1,001"),
                       ({"strategy": "beam_search", "max_rounds": 10**9}, "ttc.max_rounds=1000000000 is above"),
                       ({"strategy": "particle_filtering", "concurrency": 10**6}, "takes an integer from 1 to 8"),
                       ({"strategy": "beam_search", "beam_width": 3}, "divisible by beam_width"),
                       ({"strategy": "best_of_n", "batch": -1}, "ttc.batch=-1 is not valid"),
                       ({"strategy": "dvts", "beams": 4}, "ttc.beams is not an option of dvts"),
                       ({"budget": 17}, "above this server's maximum"), ({"budget": True}, "ttc.budget=True"),
                       ({"budget": "8"}, "ttc.budget='8'"), ({"strategy": ""}, "unknown strategy ''"),
                       ({"temperature": 50}, "ttc.temperature=50 is not valid"),
                       ({"strategy": "best_of_n", "n_parallel": 2}, "not an option of best_of_n"),
                       ({"threshold": float("nan")}, "ttc.threshold=nan is not valid"),
                       ({"threshold": 0.5}, "needs a verifier (ttc.threshold)"),
                       ({"x" * 100_000: 1}, "ttc.xxxxx"),
                       ({"budget": "lots"}, "ttc.budget='lots' is not valid")]:
        assert named in error_of(post(command, json.dumps(ask(**ttc)).encode()), 400), ttc  # NaN as JSON has it
    assert command.memory_mib() - before < 30


@pytest.mark.parametrize("field, value, named", [
    ("max_tokens", -5, "max_tokens=-5 is not valid"), ("temperature", "hot", "temperature='hot' is not valid"),
    ("top_p", 1.5, "top_p takes a number from 0 to 1"), ("seed", 2**70, "seed="), ("n", 0, "n takes an integer from 1"),
    ("stream", "yes", "stream='yes'"), ("stream_options", {"include_usage": "x"}, "stream_options.include_usage"),
    ("max_completion_tokens", 0, "max_completion_tokens=0"), ("top_logprobs", 21, "from 0 to 20"),
    ("n", "1", "n='1' is not valid"), ("n", True, "n=True"), ("seed", True, "seed=True"), ("top_p", float("nan"), "top_p"),
    ("stop", ["a", "b", "c", "d", "e"], "stop="), ("stream_options", {"include_usage": True}, "only allowed with stream"),
    ("messages", [{"role": "user", "content": [{"type": "text", "text": {"a": 1}}]}], "text must be a string")])
def test_every_sampling_option_is_checked_by_type_and_range(command, field, value, named):
    error = post(command, json.dumps({**ask(), field: value}).encode())
    assert named in error_of(error, 400) and (error.json()["error"]["param"] or field).startswith(field)


def test_unknown_top_level_fields_stay_ignored(command):
    assert post(command, {**ask(), "user": "me", "tools_of_the_future": [1, 2]}).status_code == 200


def test_a_chunked_body_is_cut_off_at_the_limit_while_reading(command):
    before = command.memory_mib()
    with socket.create_connection(("127.0.0.1", command.port)) as connection:
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                           b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))
        try:
            for _ in range(200):  # 200 MB, unless the server answers first
                connection.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _response(connection)
    assert answer.startswith(b"HTTP/1.1 413") and b"more than 1,000,000 bytes" in answer
    assert command.memory_mib(peak=True) - before < 60


def test_a_lying_content_length_is_refused_before_reading(command):
    with socket.create_connection(("127.0.0.1", command.port)) as connection:
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                           b"\r\nContent-Length: 999999999\r\n\r\n{}")
        answer = _response(connection)
    assert answer.startswith(b"HTTP/1.1 413") and b"999,999,999 bytes" in answer


def _response(connection: socket.socket) -> bytes:
    """One whole HTTP response (headers and a Content-Length body) read from ``connection`` (what came before
    the server closed it)."""
    connection.settimeout(30)
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
        try:
            received = connection.recv(65536)
        except ConnectionResetError:
            break
        if not received:
            break
        answer += received
    return answer


def _length(answer: bytes) -> int:
    headers = answer.split(b"\r\n\r\n", 1)[0].lower()
    return int(headers.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0]) if b"content-length:" in headers else 0


def test_deeply_nested_json_is_400(command):
    body = b'{"model": "bo8", "messages": [], "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert "nested deeper than" in error_of(post(command, body), 400)


def test_a_refused_request_keeps_its_connection_and_counts_under_its_model(command):
    connection, sockets = http.client.HTTPConnection("127.0.0.1", command.port, timeout=60), []
    for body, status in [(ask(strategy="revisions", n_parallel=0), 400), ({"model": "bo8", "messages": "hi"}, 400),
                         (ask(), 200)]:
        connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
        answer = connection.getresponse()
        assert answer.status == status and answer.getheader("connection") != "close"
        json.loads(answer.read())
        sockets.append(connection.sock)
    assert sockets[0] is not None and all(used is sockets[0] for used in sockets)  # one connection throughout
    metrics = httpx.get(command.url + "/metrics").text
    assert 'ttc_requests_total{model="bo8",status="400"}' in metrics
    assert "ttc_queue_seconds" in metrics


def test_a_failure_of_the_server_s_own_is_one_500_logged_once_and_counted(backend, tmp_path, caplog):
    calls = []

    def failing_policy(*args):  # builds at start, fails on the first request
        calls.append(args)
        if len(calls) > 1:
            raise RuntimeError("a bug of ours")
        from ttc_modules.strategies import BestOfN
        return BestOfN(n=1, selection="majority")

    settings = settings_for(backend, tmp_path, served_models={"p": {"policy": str(tmp_path / "policy.json")}})
    with RunningApp(create_app(settings, policy_program=failing_policy)) as server, httpx.Client(timeout=60) as client:
        failed = client.post(server.base_url + "/chat/completions", json={"model": "p", "messages": QUESTION})
        assert "RuntimeError: a bug of ours" in error_of(failed, 500)
        assert client.get(server.url + "/health").status_code == 200  # the connection stays usable
        metrics = client.get(server.url + "/metrics").text
    assert 'ttc_requests_total{model="p",status="500"} 1.0' in metrics
    assert [record.message for record in caplog.records].count("request failed") == 1


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_leaves_stops_its_search_within_a_second(tmp_path, stream):
    with OpenAIStubServer(delay=0.2) as slow:
        settings = settings_for(slow, tmp_path, served_models={"chains": {"strategy": "revisions", "budget": 16,
                                                                          "options": {"n_parallel": 1}}})
        with RunningApp(create_app(settings)) as server:
            _leave_after_a_second(server.base_url + "/chat/completions",
                                  {"model": "chains", "messages": QUESTION, "stream": stream})
            time.sleep(1.0)
            asked = len(slow.requests)
            time.sleep(1.5)
            assert len(slow.requests) == asked < 16  # nothing sent after the first second
            metrics = httpx.get(server.url + "/metrics").text
    assert 'ttc_requests_total{model="chains",status="499"} 1.0' in metrics


def _leave_after_a_second(url: str, body: dict) -> None:
    """Ask, then hang up after a second, the answer unread (a client's timeout, or a closed stream)."""
    if not body["stream"]:
        with pytest.raises(httpx.TimeoutException):
            httpx.post(url, json=body, timeout=1.0)
        return
    with httpx.stream("POST", url, json=body, timeout=60) as answer:
        assert answer.status_code == 200
        time.sleep(1.0)


def test_cross_site_requests_are_refused(serve):
    server = serve()
    assert "refused" in error_of(post(server, ask() | {"model": "ttc"}, headers={"Origin": "https://evil.example"}), 403)
    assert "Host" in error_of(post(server, ask() | {"model": "ttc"}, headers={"Host": "evil.example"}), 403)
    plain = httpx.post(server.base_url + "/chat/completions", content=json.dumps(ask() | {"model": "ttc"}),
                       headers={"Content-Type": "text/plain"}, timeout=60)
    assert "application/json" in error_of(plain, 415)
    port = server.url.rsplit(":", 1)[1]
    assert post(server, ask() | {"model": "ttc"}, headers={"Host": f"localhost:{port}"}).status_code == 200


def test_allowed_origins_get_cors_headers_and_no_others(serve):
    server = serve(**{"serve.allowed_origins": ["https://app.example"]})
    allowed = post(server, ask() | {"model": "ttc"}, headers={"Origin": "https://app.example"})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://app.example"
    preflight = httpx.options(server.base_url + "/chat/completions", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    refused = post(server, ask() | {"model": "ttc"}, headers={"Origin": "https://other.example"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


def test_a_wildcard_bind_without_a_key_must_name_its_hosts(backend, tmp_path):
    with pytest.raises(ConfigError, match="serve.allowed_hosts"):
        create_app(settings_for(backend, tmp_path, **{"serve.host": "0.0.0.0"}))
    create_app(settings_for(backend, tmp_path, **{"serve.host": "0.0.0.0", "serve.allowed_hosts": ["box:8000"]}))


def _dspy_form(output: str, kind: str = "str") -> list[dict]:
    """A request as DSPy's chat adapter writes it, for a program with one input and the output ``output``."""
    system = (f"Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `{output}` ({kind}):\n"
              f"All interactions will be structured in the following way, with the appropriate values filled in.\n\n"
              f"In adhering to this structure, your objective is: \n        Answer.")
    return [{"role": "system", "content": system}, {"role": "user", "content": "[[ ## question ## ]]\n2 + 3?"}]


@pytest.mark.parametrize("output, kind", [("graph", "str"), ("_x", "str"), ("model_config", "str"),
                                          ("instructions", "str"), ("answer", "dict[str]"), ("answer", "Literal[()]"),
                                          ("answer", "-" * 50_000 + "1"), ("answer", "a" + ".a" * 100_000)])
def test_a_dspy_program_the_server_cannot_search_is_a_400_and_odd_types_are_text(command, output, kind):
    answer = post(command, {"model": "bo8", "messages": _dspy_form(output, kind)})
    assert answer.status_code in (200, 400), answer.text
    if output != "answer":
        assert "rename the field" in error_of(answer, 400)


def test_a_client_that_leaves_mid_body_is_counted_as_499_without_a_traceback(command):
    with socket.create_connection(("127.0.0.1", command.port)) as connection:
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                           b"\r\nContent-Length: 999999\r\n\r\n{\"model\": \"bo8\"")
    time.sleep(0.5)
    metrics = httpx.get(command.url + "/metrics").text
    assert 'ttc_requests_total{model="unknown",status="499"}' in metrics
    assert 'status="500"' not in metrics


def test_headers_are_bounded_and_two_hosts_are_refused(command):
    with socket.create_connection(("127.0.0.1", command.port)) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * 200_000 + b"\r\n\r\n")
        refused = _response(connection)
    assert refused == b"" or refused.startswith(b"HTTP/1.1 4")  # refused, or the connection closed unanswered
    with socket.create_connection(("127.0.0.1", command.port)) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n")
        assert _response(connection).startswith(b"HTTP/1.1 40")  # h11 refuses it (400); the guard would (403)
    assert error_of(httpx.post(command.base_url + "/chat/completions/", json=ask()), 404)


def test_a_slow_body_gets_408(serve):
    server = serve(**{"serve.read_timeout": 0.5})
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                           b"\r\nContent-Length: 100\r\n\r\n{")
        assert b"took longer than 0.5 s" in _response(connection)
