"""``ttc serve``: compute-optimal answers behind an OpenAI-compatible endpoint (needs the ``serve`` extra).

- :func:`create_app` (``app.py``): the FastAPI app, its routes, errors and streaming.
- :class:`ServedModels` (``served_models.py``): model names -> backend, verifier, strategy or policy.
- :class:`ChatRequest`, :class:`ServerError` (``protocol.py``): OpenAI's request and error shapes.
- ``replies.py``, ``admission.py``, ``metrics.py``: answers, the line of requests, Prometheus metrics.
"""

from ttc_modules.serving.app import create_app
from ttc_modules.serving.protocol import ChatRequest, ServerError
from ttc_modules.serving.served_models import DEFAULT_NAME, ServedModels

__all__ = ["DEFAULT_NAME", "ChatRequest", "ServedModels", "ServerError", "create_app"]
