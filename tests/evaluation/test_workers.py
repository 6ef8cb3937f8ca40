"""``worker_pool``: threads by count, or Ray tasks on a cluster joined before anything runs."""

from ttc_modules.evaluation import workers
from ttc_modules.evaluation.workers import LOCAL, RayWorkers, worker_pool


def test_without_ray_the_pool_is_the_number_of_threads():
    assert worker_pool(3) == 3


def test_with_ray_the_cluster_is_joined_at_once(monkeypatch):
    joined = []
    monkeypatch.setattr(RayWorkers, "connect", lambda self: joined.append(self.address))
    pool = worker_pool(2, LOCAL)
    assert isinstance(pool, workers.RayWorkers) and pool.workers == 2 and joined == [LOCAL]
