"""The results log: a torn last line is dropped and redone."""

import json

from ttc_modules.evaluation.results import ResultsLog


def test_a_torn_last_line_is_dropped_and_redone(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"id": "a", "strategy": "s", "budget": 1}) + "\n" + '{"id": "b", "strat')
    log = ResultsLog(path)
    assert log.done(("a", "s", 1, "")) and not log.done(("b", "s", 1, ""))
    log.append({"id": "b", "strategy": "s", "budget": 1})
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a", "b"]
