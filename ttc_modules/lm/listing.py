"""What ``ttc models`` lists: the embedded models (run in process, no keys) and the configured backends.

Example:
    >>> from ttc_modules.config import load_settings
    >>> listing = model_listing(load_settings())
    >>> "local/smollm2-135m-instruct" in [row["model"] for row in listing["embedded"]], list(listing["backends"])
    (True, ['backend'])
"""

from __future__ import annotations

from ttc_modules.lm.embedded import EmbeddedModel, known_models, register


def model_listing(settings) -> dict:
    """The embedded models (the config's ``local_models`` registered first) as rows, and the configured
    backends by name (``backend`` the default one) as their fields: ``{"embedded": [...], "backends": {...}}``."""
    register(settings.local_models)
    embedded = [_embedded_row(model, settings.backend.model) for model in known_models().values()]
    backends = {"backend": settings.backend.model_dump(mode="json"),
                **{name: backend.model_dump(mode="json") for name, backend in settings.backends.items()}}
    return {"embedded": embedded, "backends": backends}


def _embedded_row(model: EmbeddedModel, default_model: str) -> dict:
    return {"model": f"local/{model.name}", "kind": "chat" if model.chat else "base (few-shot text)",
            "params": model.params, "installed": model.is_installed(),
            "source": model.package or model.description,
            "default": default_model == f"local/{model.name}"}
