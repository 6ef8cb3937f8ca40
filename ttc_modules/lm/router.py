"""Many endpoints for one model: LiteLLM's ``Router`` behind the ``ttc-router/`` provider.

A backend with ``deployments`` (or ``routing.fallbacks``; ``config.py``) is one model served by several
endpoints: vLLM or SGLang replicas, llama.cpp servers, several keys of a hosted API.
:class:`RouterSpec` says what they are: the deployments of the backend's model group, the groups it
falls back to, and how LiteLLM routes among them (strategy, cooldowns). A spec is JSON-able and holds
no key (a deployment names the variable holding its key), so an LM carrying it can be pickled to
another process or a Ray worker, which builds its own ``Router`` on its first request.

The LM of such a backend is a :class:`~ttc_modules.lm.TTCLM` whose model is ``ttc-router/<spec id>``:
its requests take LiteLLM's usual path, so DSPy's cache, TTCLM's retries, budgets, rollout ids and
usage capture are exactly those of one endpoint, and LiteLLM hands each request to
:class:`RouterProvider`, which sends it through the spec's ``Router`` (one per spec and process). The
Router makes one attempt (``num_retries=0``): a failure is retried by TTCLM's retry layer, and a
deployment that failed is cooled down for ``routing.cooldown_time`` seconds after
``routing.allowed_fails`` failures in a minute, so the retry goes to another. A request is counted
to the budget once, however many deployments it took.

What answers is the deployments' model at their endpoints: :meth:`RouterSpec.identity` (in the
LM's :func:`~ttc_modules.lm.identity.backend_identity`) names every group's models and endpoints,
never a key, and not the routing settings, which change who answers, not what.

A text backend (``model_type: text``) is prompted as DSPy prompts one endpoint's text route (the
messages joined, then ``BEGIN RESPONSE:``) and reached through LiteLLM's ``text-completion-openai``
route at each deployment, so its prompts, and answers, are the same as from one endpoint.

Example:
    >>> spec = RouterSpec.of({PRIMARY: [Deployment("openai/stub", "http://127.0.0.1:8001/v1"),
    ...                                 Deployment("openai/stub", "http://127.0.0.1:8002/v1")]})
    >>> spec.model.startswith("ttc-router/"), spec.provider, spec.label
    (True, 'openai', 'openai/stub on 2 deployments')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence

import litellm
from litellm import CustomLLM

from ttc_modules.config import ConfigError
from ttc_modules.lm.api_keys import PLACEHOLDER_KEY, needs_placeholder_key
from ttc_modules.lm.custom_providers import registered
from ttc_modules.lm.embedded.catalogue import is_embedded

logger = logging.getLogger(__name__)

PROVIDER = "ttc-router"
PRIMARY = "deployments"  # the model group of the backend's own deployments (LiteLLM's messages name it)
TEXT_ROUTE = "text-completion-openai"  # LiteLLM's route to an OpenAI-compatible /v1/completions, as DSPy's text route

_lock = threading.Lock()
_specs: dict[str, RouterSpec] = {}  # spec id -> spec, in this process
_routers: dict[str, litellm.Router] = {}  # spec id -> its Router, built on first use in this process


@dataclasses.dataclass(frozen=True)
class Deployment:
    """One endpoint of a model group: a LiteLLM model string, where it is served, and what holds its key."""

    model: str
    api_base: str | None = None
    api_key_env: str | None = None
    weight: float | None = None  # share of requests under simple-shuffle


@dataclasses.dataclass(frozen=True)
class RouterSpec:
    """Model groups (:data:`PRIMARY` first, then fallbacks in order) and how requests are routed among them."""

    groups: tuple[tuple[str, tuple[Deployment, ...]], ...]
    strategy: str = "simple-shuffle"
    allowed_fails: int = 0
    cooldown_time: float = 30.0
    text: bool = False

    @classmethod
    def of(cls, groups: Mapping[str, Sequence[Deployment]], **routing) -> RouterSpec:
        """A spec from ``{group: [deployments]}``, the primary group first; ``routing``: the other fields."""
        if next(iter(groups), None) != PRIMARY:
            raise ValueError(f"the first model group must be '{PRIMARY}', got {list(groups)}")
        return cls(tuple((name, tuple(deployments)) for name, deployments in groups.items()), **routing)

    @property
    def spec_id(self) -> str:
        """A short hash of :meth:`identity`: specs over the same deployments share it, and one Router."""
        return hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def model(self) -> str:
        """The LiteLLM model string of a TTCLM sending its requests through this spec's Router."""
        return f"{PROVIDER}/{self.spec_id}"

    @property
    def primary(self) -> tuple[Deployment, ...]:
        """The backend's own deployments."""
        return dict(self.groups)[PRIMARY]

    @property
    def provider(self) -> str:
        """The LiteLLM provider of the primary deployments (e.g. ``openai``), which says what a request may carry."""
        return self.primary[0].model.split("/", 1)[0]

    @property
    def label(self) -> str:
        """How messages name the routed model: ``openai/qwen on 3 deployments``."""
        return f"{self.primary[0].model} on {len(self.primary)} deployment{'s' if len(self.primary) > 1 else ''}"

    def endpoints(self) -> str:
        """The primary deployments' endpoints, for messages."""
        return ", ".join(d.api_base or "the provider's own endpoint" for d in self.primary)

    @classmethod
    def from_config(cls, backend, fallbacks: Mapping[str, object]) -> RouterSpec:
        """The spec of a routed ``config.BackendConfig`` (its ``deployments``, else its one endpoint), with the
        backends of ``routing.fallbacks`` as fallback groups (``{name: BackendConfig}``, in order)."""
        text = backend.model_type == "text"
        for name, fallback in fallbacks.items():
            if (fallback.model_type == "text") != text:
                raise ConfigError(f"backend.routing.fallbacks: '{name}' is a {fallback.model_type} model and "
                                  f"'{backend.model}' a {backend.model_type} one; fall back to a backend of the "
                                  "same model_type")
        groups = {PRIMARY: _deployments_of(backend), **{name: _deployments_of(b) for name, b in fallbacks.items()}}
        routing = backend.routing
        return cls.of(groups, strategy=routing.strategy, allowed_fails=routing.allowed_fails,
                      cooldown_time=routing.cooldown_time, text=text)

    def identity(self) -> dict:
        """What answers: each group's models and endpoints (no keys, no routing settings)."""
        return {"groups": {name: sorted([d.model, (d.api_base or "").rstrip("/")] for d in deployments)
                           for name, deployments in self.groups},  # "": the provider's own endpoint
                "fallbacks": [name for name, _ in self.groups[1:]], "text": self.text}

    def priced_models(self) -> list[str]:
        """The model strings LiteLLM prices for this spec's requests: each deployment's, as it is sent."""
        return [_sent_model(d, self.text) for _, deployments in self.groups for d in deployments]

    def register(self) -> str:
        """Make this spec's Router reachable in this process as :attr:`model`; return it. Specs over the same
        deployments share one Router (its cooldowns and load counts): the first registered sets it up."""
        with _lock:
            first = _specs.setdefault(self.spec_id, self)
        if first != self:
            logger.warning("%s: routed as first registered in this process (%s), not as %s", self.model,
                           _routing(first), _routing(self))
        ensure_registered()
        return self.model


def _deployments_of(backend) -> list[Deployment]:
    """A ``config.BackendConfig``'s endpoints as deployments; every key variable they name must be set."""
    if is_embedded(backend.model):
        raise ConfigError(f"backend '{backend.model}' is embedded, which runs in this process: it has no "
                          "deployments or fallbacks; serve it (ttc serve, llama.cpp's server) and list those")
    deployments = [Deployment(d.model or backend.model, d.api_base, d.api_key_env or backend.api_key_env, d.weight)
                   for d in backend.deployments] or [Deployment(backend.model, backend.api_base, backend.api_key_env)]
    for deployment in deployments:
        if deployment.api_key_env and not os.environ.get(deployment.api_key_env):
            raise ConfigError(f"the deployment at {deployment.api_base} reads its key from "
                              f"${deployment.api_key_env}, which is not set; export {deployment.api_key_env}=...")
    return deployments


def _routing(spec: RouterSpec) -> str:
    return (f"strategy {spec.strategy}, allowed_fails {spec.allowed_fails}, cooldown_time {spec.cooldown_time}, "
            f"keys from {sorted({d.api_key_env for _, ds in spec.groups for d in ds if d.api_key_env}) or 'nowhere'}")


def router_for(model: str) -> tuple[RouterSpec, litellm.Router]:
    """The spec and Router behind ``ttc-router/<spec id>``, the Router built on first use in this process."""
    spec_id = model.split("/", 1)[-1]
    with _lock:
        spec = _specs.get(spec_id)
        if spec is None:
            raise litellm.BadRequestError(message=f"no routed backend {model} in this process; build the LM from "
                                                  "its config (build_lm) or a RouterSpec", model=model,
                                          llm_provider=PROVIDER)
        if spec_id not in _routers:
            _routers[spec_id] = _build_router(spec)
        return spec, _routers[spec_id]


def _build_router(spec: RouterSpec) -> litellm.Router:
    names = [name for name, _ in spec.groups]
    return litellm.Router(model_list=[_deployment_entry(name, d, spec.text) for name, ds in spec.groups for d in ds],
                          routing_strategy=spec.strategy, num_retries=0, allowed_fails=spec.allowed_fails,
                          cooldown_time=spec.cooldown_time,
                          fallbacks=[{PRIMARY: names[1:]}] if len(names) > 1 else [])


def _deployment_entry(group: str, deployment: Deployment, text: bool) -> dict:
    """LiteLLM's ``model_list`` entry for one deployment, its key read from its variable now."""
    params = {"model": _sent_model(deployment, text), **({"api_base": deployment.api_base} if deployment.api_base else {})}
    key = os.environ.get(deployment.api_key_env) if deployment.api_key_env else None
    if key or needs_placeholder_key(deployment.model, "text" if text else "chat", deployment.api_base):
        params["api_key"] = key or PLACEHOLDER_KEY
    if deployment.weight is not None:
        params["weight"] = deployment.weight
    return {"model_name": group, "litellm_params": params}


def _sent_model(deployment: Deployment, text: bool) -> str:
    """The model string a deployment's requests go to LiteLLM with (a text deployment's: its text route)."""
    return text_route_model(deployment.model) if text else deployment.model


def text_route_model(model: str) -> str:
    """LiteLLM's model string for ``model`` (``provider/name``) reached at an OpenAI-compatible ``/v1/completions``,
    as DSPy's text route reaches it."""
    return f"{TEXT_ROUTE}/{model.split('/', 1)[-1]}"


def text_route_prompt(messages: list[dict]) -> str:
    """The prompt DSPy's text route makes of ``messages`` for one endpoint (``dspy.clients.lm``)."""
    return "\n\n".join([str(m.get("content") or "") for m in messages] + ["BEGIN RESPONSE:"])


def _request(spec: RouterSpec, messages: list, optional_params: dict | None, timeout) -> dict:
    if spec.text:
        messages = [{"role": "user", "content": text_route_prompt(messages)}]
    return {"model": PRIMARY, "messages": messages, **(optional_params or {}),
            **({"timeout": timeout} if timeout is not None else {})}


class RouterProvider(CustomLLM):
    """LiteLLM's ``ttc-router/`` provider: each request goes through the Router of its spec."""

    def completion(self, model: str, messages: list, optional_params=None, timeout=None, **_):
        spec, router = router_for(model)
        return router.completion(**_request(spec, messages, optional_params, timeout))

    async def acompletion(self, model: str, messages: list, optional_params=None, timeout=None, **_):
        spec, router = router_for(model)
        return await router.acompletion(**_request(spec, messages, optional_params, timeout))


def ensure_registered() -> RouterProvider:
    """The ``ttc-router/`` provider registered with LiteLLM, registering it if it is not yet."""
    return registered(PROVIDER, RouterProvider)
