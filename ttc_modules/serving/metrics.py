"""``GET /metrics`` of ``ttc serve``: Prometheus counters per served model, on a registry of the app's own.

Example:
    >>> metrics = ServerMetrics()
    >>> metrics.finished("ttc", 200, 0.5, {"generations": 4, "prompt_tokens": 30, "completion_tokens": 20,
    ...                                    "cache_hits": 1, "exhausted": None}, queued=0.1)
    >>> b'ttc_generations_total{model="ttc"} 4.0' in metrics.exposition()
    True
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServerMetrics:
    """Requests, latency, generations, tokens, cache hits and budget exhaustions per served model, and
    the requests running and waiting now."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("ttc_requests", "Chat completion requests by outcome (499: the client left, the "
                                "search cancelled).", ["model", "status"],
                                registry=self.registry)
        buckets = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, float("inf"))
        self.latency = Histogram("ttc_request_seconds", "Time from admission to answer (the search).", ["model"],
                                 buckets=buckets, registry=self.registry)
        self.queued = Histogram("ttc_queue_seconds", "Time from arrival to admission (waiting for a search slot).",
                                ["model"], buckets=(0.01,) + buckets, registry=self.registry)
        self.generations = Counter("ttc_generations", "Generations spent, in the paper's unit.", ["model"],
                                   registry=self.registry)
        self.tokens = Counter("ttc_tokens", "Tokens of every inner call, cache hits included.", ["model", "kind"],
                              registry=self.registry)
        self.cache_hits = Counter("ttc_cache_hits", "Inner LM calls answered from the cache.", ["model"],
                                  registry=self.registry)
        self.exhausted = Counter("ttc_budget_exhaustions", "Searches that ran out of budget.", ["model"],
                                 registry=self.registry)
        self.running = Gauge("ttc_requests_running", "Requests being searched now.", registry=self.registry)
        self.waiting = Gauge("ttc_requests_waiting", "Requests waiting for a search slot.", registry=self.registry)

    def finished(self, model: str, status: int, seconds: float | None, spent: dict | None,
                 queued: float | None = None) -> None:
        """Count one request: its status, its wait for admission, and when it searched, its time and what it spent."""
        self.requests.labels(model, str(status)).inc()
        if queued is not None:
            self.queued.labels(model).observe(queued)
        if seconds is not None:
            self.latency.labels(model).observe(seconds)
        if spent is None:
            return
        self.generations.labels(model).inc(spent.get("generations") or 0)
        self.tokens.labels(model, "prompt").inc(spent.get("prompt_tokens") or 0)
        self.tokens.labels(model, "completion").inc(spent.get("completion_tokens") or 0)
        self.cache_hits.labels(model).inc(spent.get("cache_hits") or 0)
        if spent.get("exhausted"):
            self.exhausted.labels(model).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
