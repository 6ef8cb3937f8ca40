"""Settings: backends, embedded models, cache, retries and concurrency, loaded with no side effects.

Sources, each overriding the one before: defaults < a YAML file (``--config ttc.yaml`` or the
``TTC_CONFIG`` variable) < environment variables ``TTC_...`` (nested with ``__``, e.g.
``TTC_BACKEND__MODEL=openai/gpt-4o-mini``) < explicit overrides from the command line.

Keys are never stored: ``api_key_env`` names the environment variable that holds one, and the
value is read only when an LM is built. Every bad input becomes a :class:`ConfigError` whose one
line names the value and the fix.

Example:
    >>> settings = load_settings(overrides={"concurrency": 2})
    >>> settings.backend.model, settings.concurrency
    ('local/smollm2-135m-instruct', 2)
    >>> settings.resolve_backend("openai/gpt-4o-mini").model
    'openai/gpt-4o-mini'
"""

from __future__ import annotations

import contextvars
import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

_YAML_FILE: contextvars.ContextVar[Path | None] = contextvars.ContextVar("ttc_yaml_file", default=None)


PromptStyle = Literal["signature", "few_shot_chat", "few_shot_text"]
"""How a model is prompted: ``signature`` (DSPy signatures through an adapter: chat models behind an
API), ``few_shot_chat`` (worked examples as earlier chat turns, a partial solution continued as a
prefilled assistant turn: models too small for an adapter's format) or ``few_shot_text`` (one plain
few-shot text and stop sequences: base models)."""

class ConfigError(ValueError):
    """A bad setting: the message is one line naming the value and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class DeploymentConfig(_Strict):
    """One endpoint of a backend served at several (``backend.deployments``)."""

    api_base: str
    api_key_env: str | None = None  # None: the backend's api_key_env
    model: str | None = None  # a LiteLLM model string; None: the backend's model
    weight: float | None = Field(None, gt=0)  # share of requests under the simple-shuffle strategy

    @field_validator("api_base")
    @classmethod
    def _a_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("a deployment's api_base is a URL such as http://127.0.0.1:8000/v1")
        return value


class RoutingConfig(_Strict):
    """How LiteLLM's Router spreads a backend's requests over its deployments, and where it falls back."""

    strategy: Literal["simple-shuffle", "least-busy", "latency-based-routing", "usage-based-routing-v2"] = \
        "simple-shuffle"
    allowed_fails: int = Field(0, ge=0)  # failures of one deployment within a minute before it is cooled down
    cooldown_time: float = Field(30.0, ge=0)  # seconds a cooled-down deployment gets no requests
    fallbacks: list[str] = Field(default_factory=list)  # backends tried in order when the deployments all fail


class BackendConfig(_Strict):
    """One model: the embedded model, a local server or a hosted API, at one endpoint or several."""

    model: str = "local/smollm2-135m-instruct"
    api_base: str | None = None
    api_key_env: str | None = None
    model_type: Literal["chat", "text"] = "chat"
    temperature: float = Field(0.8, ge=0)
    max_tokens: int = Field(256, ge=1)
    timeout: float = Field(120.0, gt=0)
    params: float | None = Field(None, gt=0)
    prompt_style: PromptStyle | None = None  # None: the one the endpoint implies
    batch_prompts: bool | None = None  # a search round's prompts in one request (None: where the backend takes it)
    extra: dict[str, Any] = Field(default_factory=dict)
    deployments: list[DeploymentConfig] = Field(default_factory=list)  # the same model at several endpoints
    routing: RoutingConfig = Field(default_factory=RoutingConfig)

    @field_validator("deployments")
    @classmethod
    def _endpoints_in_one_place(cls, value: list[DeploymentConfig], info) -> list[DeploymentConfig]:
        if value and info.data.get("api_base"):
            raise ValueError("api_base and deployments are both set; give each deployment its api_base and "
                             "remove the backend's")
        return value

    @property
    def routed(self) -> bool:
        """Whether requests go through LiteLLM's Router: several deployments, or fallbacks."""
        return bool(self.deployments or self.routing.fallbacks)

    def api_key(self) -> str | None:
        """The key from the environment variable named by ``api_key_env`` (None when not set up)."""
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise ConfigError(f"backend '{self.model}' reads its key from ${self.api_key_env}, which is not set; "
                              f"export {self.api_key_env}=... (or remove api_key_env for a server without keys)")
        return key


class LocalModelConfig(_Strict):
    """A GGUF file of the user's, served by the embedded backend as ``local/<name>``."""

    path: Path
    chat: bool = True
    n_ctx: int = Field(4096, ge=256)  # one sequence's context; the KV cache holds slots x n_ctx cells
    slots: int = Field(16, ge=1, le=256)  # sequences decoded together
    params: float | None = Field(None, gt=0)


class CacheConfig(_Strict):
    """Where LM calls and verifier scores are cached."""

    dir: Path = Path("~/.cache/dspy-ttc")
    enabled: bool = True

    @field_validator("dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


class RetryConfig(_Strict):
    """Retries of transient failures: jittered exponential backoff between the bounds."""

    attempts: int = Field(5, ge=1)
    initial_wait: float = Field(0.5, ge=0)
    max_wait: float = Field(20.0, ge=0)


class ServedModelConfig(_Strict):
    """One model name ``ttc serve`` answers for: a backend, a program, a verifier, and a strategy or a fitted policy.

The program searched is ``program`` (a DSPy signature such as ``"question -> answer"``, or
``module:attribute`` naming a signature or module in the user's code; for a plain chat it takes the
conversation as its one input), or the math word-problem program; a request written by a DSPy
program brings its own program. For free-text answers choose a selection that fits them: ``verifier:
judge`` (an LLM judge shown the program's task) or ``module:function`` (a reward), with
``options: {selection: weighted}`` (or ``naive``).

    Without ``policy``, each request runs ``strategy`` with ``options`` at ``budget`` generations (best-of-N:
    weighted with a verifier, majority voting without one); with it, the strategy the policy picks for
    the question's difficulty. A request may ask for another strategy or budget (``extra_body``'s ``ttc``),
    up to ``max_budget`` generations. With a policy and ``mean_budget``, requests share one budget: each
    gets what the policy allocates to its difficulty (up to ``max_budget``, or the budget it asks for), and
    any ``mean_budget_window`` consecutive requests spend at most ``mean_budget`` generations each on
    average (``ttc_modules/ledgers.py``).
    """

    backend: str | None = None  # a name in ``backends``, or a LiteLLM model string; None: ``backend``
    program: str | None = None  # module:attribute in the user's code, or a signature; None: the math program
    verifier: str = "none"  # as ``ttc solve --verifier``
    strategy: str = "best_of_n"
    options: dict[str, Any] = Field(default_factory=dict)  # the strategy's options (selection, beam_width...)
    policy: Path | None = None  # a compute-optimal policy (``ttc calibrate``)
    budget: int = Field(8, ge=1)  # generations per request unless it asks for another
    max_budget: int = Field(64, ge=1)  # generations a request may ask for at most
    mean_budget: float | None = None  # with a policy: generations per request on average, spent by difficulty
    mean_budget_window: int = Field(100, ge=1)  # ... over any this many consecutive requests

    @field_validator("max_budget")
    @classmethod
    def _covers_budget(cls, value: int, info) -> int:
        budget = info.data.get("budget", 1)
        if value < budget:
            raise ValueError(f"max_budget ({value}) is below budget ({budget}); raise max_budget")
        return value

    @model_validator(mode="after")
    def _mean_budget_with_a_policy(self):
        if self.mean_budget is not None and self.policy is None:
            raise ValueError(f"mean_budget ({self.mean_budget}) shares a fitted policy's budget across requests; set "
                             "policy (ttc calibrate), or leave mean_budget out")
        if self.mean_budget is not None and not 1 <= self.mean_budget <= self.max_budget:
            raise ValueError(f"mean_budget ({self.mean_budget}) must be from 1 to max_budget ({self.max_budget}) "
                             "generations per request")
        return self


class ServeConfig(_Strict):
    """How ``ttc serve`` listens and what it admits."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    max_concurrency: int = Field(8, ge=1)  # requests searched at once
    max_queue: int = Field(32, ge=0)  # requests waiting beyond those; more are refused with 429
    request_timeout: float = Field(300.0, gt=0)  # seconds; a search still running then ends with 504
    max_body_bytes: int = Field(1_000_000, ge=1024)
    read_timeout: float = Field(30.0, gt=0)  # seconds a client has to send its body; a slower one gets 408
    max_connections: int = Field(256, ge=1)  # open connections at most; more are answered 503 at once
    api_keys_env: list[str] = Field(default_factory=list)  # variables holding the bearer keys clients must send
    # the Host names clients reach the server by ("name" or "name:port"); None: the bound address's own
    # (localhost, 127.0.0.1 and [::1] for a loopback bind, at the bound port); a wildcard bind without keys must list them
    allowed_hosts: list[str] | None = None
    allowed_origins: list[str] = Field(default_factory=list)  # web pages (scheme://host[:port]) that may call it


class Settings(BaseSettings):
    """Everything configurable; see the module docstring for where values come from."""

    model_config = SettingsConfigDict(env_prefix="TTC_", env_nested_delimiter="__", extra="forbid")

    backend: BackendConfig = Field(default_factory=BackendConfig)
    backends: dict[str, BackendConfig] = Field(default_factory=dict)
    local_models: dict[str, LocalModelConfig] = Field(default_factory=dict)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    concurrency: int = Field(8, ge=1)
    seed: int = 0
    threads: int | None = Field(None, ge=1)
    served_models: dict[str, ServedModelConfig] = Field(default_factory=dict)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    # the user's strategies (module:Class), imported and registered when a command starts, never here
    strategies: list[str] = Field(default_factory=list)

    @field_validator("strategies")
    @classmethod
    def _classes_named(cls, value: list[str]) -> list[str]:
        for spec in value:
            where, _, name = spec.partition(":")
            if not where or not name:
                raise ValueError(f"{spec!r} names no class; write module:Class (or file.py:Class), e.g. "
                                 "my_package.strategies:MyStrategy")
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (init arguments) over ``TTC_`` variables over the YAML file over defaults."""
        yaml_file = _YAML_FILE.get()
        if yaml_file is None:
            return init_settings, env_settings
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file)

    def resolve_backend(self, name_or_model: str | None) -> BackendConfig:
        """``settings.backend`` for None, a named backend, or the default backend with another model."""
        if name_or_model is None:
            return self.backend
        if name_or_model in self.backends:
            return self.backends[name_or_model]
        if "/" not in name_or_model:
            known = ", ".join(sorted(self.backends)) or "none configured"
            raise ConfigError(f"unknown model or backend '{name_or_model}'; give a LiteLLM model string such as "
                              f"openai/gpt-4o-mini or local/smollm2-135m-instruct, or a backend name ({known})")
        return self.backend.model_copy(update={"model": name_or_model})

    def redacted_dump(self) -> dict:
        """The settings as JSON-ready data; holds variable names only, never a key."""
        return self.model_dump(mode="json")


def load_settings(config_file: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Load settings from defaults, ``config_file`` (or ``$TTC_CONFIG``), ``TTC_...`` variables and ``overrides``.

    Args:
        config_file: a YAML file; None reads ``$TTC_CONFIG`` if set.
        overrides: dotted keys to values, e.g. ``{"backend.model": "openai/gpt-4o-mini"}``; None values
            are ignored, so flags that were not given change nothing.
    """
    path = config_file or os.environ.get("TTC_CONFIG") or None
    if path:
        _read_yaml(Path(path))  # a missing or malformed file fails here, with its name and line
    flags: dict = {}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(flags, dotted, value)
    token = _YAML_FILE.set(Path(path) if path else None)
    try:
        return Settings(**flags)
    except ValidationError as exc:
        given = {dotted for dotted, value in (overrides or {}).items() if value is not None}
        raise ConfigError(_describe(exc, str(path) if path else None, given)) from None
    finally:
        _YAML_FILE.reset(token)


def settings_sources() -> tuple:
    """What :func:`load_settings` (without arguments) reads, cheaply: the ``TTC_`` variables and the config file's
    path, size and modification time; equal sources give equal settings (``lm/build.py``'s default LM is kept
    per sources, so that a request does not parse the settings again).

    Example:
        >>> settings_sources() == settings_sources()
        True
    """
    variables = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("TTC_")))
    path = os.environ.get("TTC_CONFIG")
    try:
        stat = os.stat(path) if path else None
    except OSError:
        stat = None  # load_settings names the missing file
    return variables, path, None if stat is None else (stat.st_size, stat.st_mtime_ns)


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}; pass an existing YAML file (see examples/configs/)")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"malformed YAML in {where}: {problem}; fix the syntax there") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of settings at the top level, got {type(data).__name__}")
    return data


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set '{dotted}': '{part}' is not a section")
    node[leaf] = value


def _source_of(loc: tuple, config_file: str | None, overridden: set[str]) -> str:
    """Where a setting came from, the one that wins first: a flag (an override), its TTC_ variable, the file."""
    dotted = ".".join(str(p) for p in loc)
    if dotted in overridden:
        return f"the command line: --{str(loc[-1]).replace('_', '-')}"
    variable = "TTC_" + "__".join(str(p) for p in loc).upper()
    if variable in os.environ:
        return f"environment variable {variable}"
    return config_file or "the defaults"


def _describe(exc: ValidationError, config_file: str | None, overridden: set[str]) -> str:
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    source = _source_of(loc, config_file, overridden)
    if error["type"] == "extra_forbidden":
        return _unknown_key(loc, source)
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{'.'.join(map(str, loc))}: {message}, got {error.get('input')!r} (in {source}); fix that value"


def _unknown_key(loc: tuple, source: str) -> str:
    dotted = ".".join(str(p) for p in loc)
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        inner = getattr(field, "annotation", None) if field else None
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
        elif inner is not None and getattr(inner, "__args__", None):
            model = inner.__args__[-1]  # dict[str, Model]: the named entry's model
    known = sorted(model.model_fields)
    guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f" did you mean '{guess[0]}'?" if guess else ""
    return f"unknown config key '{dotted}' (in {source});{hint} valid keys here: {', '.join(known)}"
