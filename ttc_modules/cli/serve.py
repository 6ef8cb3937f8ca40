"""``ttc serve``: compute-optimal answers behind an OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import Annotated

import typer

from ttc_modules.cli.options import ConfigOption
from ttc_modules.cli.output import err, friendly_errors
from ttc_modules.cli.settings import settings_with_cache


@friendly_errors
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (serve.host; default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (serve.port; default 8000, 0 picks a free one).")] = None,
):
    """Serve compute-optimal answers behind an OpenAI-compatible endpoint (POST /v1/chat/completions,
    GET /v1/models, /health, /metrics); the models come from served_models in the config."""
    try:
        import uvicorn

        from ttc_modules.serving import create_app
        from ttc_modules.serving.bounded_headers import BoundedHeadersProtocol
    except ImportError as missing:
        raise ValueError(f"ttc serve needs the serve extra ({missing.name} is not installed); "
                         "pip install 'dspy-ttc[serve]'") from missing
    from planners import policy_program

    settings = settings_with_cache(config, **{"serve.host": host, "serve.port": port})
    app_ = create_app(settings, policy_program=policy_program)
    port_ = _port_to_listen_on(settings.serve.host, settings.serve.port)
    err.print(f"serving {', '.join(app_.state.served.names())} on http://{settings.serve.host}:{port_}/v1 "
              "(Ctrl-C stops it after the requests in flight)", soft_wrap=True)
    # BoundedHeadersProtocol bounds a request's headers; limit_concurrency bounds open connections (503 beyond)
    uvicorn.run(app_, host=settings.serve.host, port=port_, log_level="warning", http=BoundedHeadersProtocol,
                limit_concurrency=settings.serve.max_connections,
                timeout_graceful_shutdown=int(settings.serve.request_timeout))


def _port_to_listen_on(host: str, port: int) -> int:
    """``port``, or a free one for 0, once a socket could be bound to it; else one clear error. (uvicorn
    binds its own socket: serving on one handed to it measured slower, benchmarks/serve_overhead.py.)"""
    from ttc_modules.ports import bound_port

    try:
        return bound_port(host, port)
    except OSError as error:
        raise ValueError(f"cannot listen on {host}:{port} ({error.strerror}); choose another --port "
                         "(or serve.port), or stop what is using it") from error
