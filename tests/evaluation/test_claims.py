"""Work items done once, whether by threads of one process or by several processes."""

import threading
import time
from collections import Counter

from ttc_modules.evaluation.claims import Claims, do_once
from ttc_modules.evaluation.results import ResultsLog


def test_workers_do_each_item_once_and_report_each(tmp_path):
    done, finished, lock = Counter(), Counter(), threading.Lock()

    def do(item):
        time.sleep(0.01)
        with lock:
            done[item] += 1

    items = [i % 10 for i in range(30)]  # every item three times
    do_once(items, Claims(tmp_path), is_done=done.__contains__, do=do, finished=lambda item: finished.update([item]), workers=6)
    assert done == Counter(range(10))
    assert sum(finished.values()) == 30


def test_results_log_read_by_many_threads_misses_no_row(tmp_path):
    writer, reader = ResultsLog(tmp_path / "rows.jsonl"), ResultsLog(tmp_path / "rows.jsonl")
    for i in range(200):
        writer.append({"id": str(i), "strategy": "s", "budget": 1, "config": "", "correct": 1.0})
    keys = [(str(i), "s", 1, "") for i in range(200)]
    seen = []
    threads = [threading.Thread(target=lambda part=part: seen.extend(reader.done(k) for k in keys[part::4]))
               for part in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(seen) and len(seen) == 200 and len(reader.rows) == 200
