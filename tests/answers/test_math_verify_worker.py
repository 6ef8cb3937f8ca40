"""math-verify's worker process: usable from any thread, killed when it does not answer in time."""

import os
import resource
from concurrent.futures import ThreadPoolExecutor

from ttc_modules.answers.math_verify_worker import MathVerifyWorker


def test_checks_from_many_threads_get_their_own_answers():
    worker = MathVerifyWorker()
    pairs = [("\\frac{21}{2}", "10.5"), ("5", "5r^5"), ("x^2+2x+1", "(x+1)^2"), ("[0,1)", "(0,1]")] * 3
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            verdicts = list(pool.map(lambda pair: worker.verify(*pair), pairs))
    finally:
        worker.close()
    assert verdicts == [True, False, True, False] * 3


def test_a_worker_that_does_not_answer_in_time_is_killed_and_the_check_is_not_equal():
    impatient = MathVerifyWorker(timeout=0, startup=0.2)  # no worker starts in 0.2 s
    assert impatient.verify("1", "1") is False and impatient.fingerprint(["1"]) == [None]
    assert impatient._process is None  # killed, not left running
    worker = MathVerifyWorker()
    try:
        assert worker.verify("1", "1.0") is True
    finally:
        worker.close()


def test_it_works_in_a_process_with_many_open_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    pipes = [os.pipe() for _ in range(600)]  # descriptors above 1023: select.select() would fail on them
    worker = MathVerifyWorker()
    try:
        assert worker.verify("\\frac{1}{2}", "0.5") is True
    finally:
        worker.close()
        for read, write in pipes:
            os.close(read)
            os.close(write)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
