"""Settings: sources and their precedence, the example configs, and one-line errors."""

from pathlib import Path

import pytest

from ttc_modules.config import ConfigError, load_settings

EXAMPLES = sorted((Path(__file__).parent.parent / "examples" / "configs").glob("*.yaml"))


@pytest.fixture
def yaml_file(tmp_path):
    def write(text: str) -> Path:
        path = tmp_path / "ttc.yaml"
        path.write_text(text)
        return path

    return write


def test_defaults_are_the_embedded_model(monkeypatch):
    monkeypatch.delenv("TTC_CACHE__DIR")
    settings = load_settings()
    assert settings.backend.model == "local/smollm2-135m-instruct"
    assert settings.concurrency == 8 and settings.cache.dir == Path("~/.cache/dspy-ttc").expanduser()


def test_precedence_defaults_yaml_env_flags(yaml_file, monkeypatch):
    path = yaml_file("backend: {model: openai/from-yaml}\nconcurrency: 3\nseed: 5\n")
    assert load_settings(path).backend.model == "openai/from-yaml"
    monkeypatch.setenv("TTC_BACKEND__MODEL", "openai/from-env")
    monkeypatch.setenv("TTC_CONCURRENCY", "4")
    settings = load_settings(path)
    assert (settings.backend.model, settings.concurrency, settings.seed) == ("openai/from-env", 4, 5)
    settings = load_settings(path, overrides={"backend.model": "openai/from-flag", "concurrency": None})
    assert (settings.backend.model, settings.concurrency) == ("openai/from-flag", 4)


def test_config_file_from_the_environment(yaml_file, monkeypatch):
    monkeypatch.setenv("TTC_CONFIG", str(yaml_file("concurrency: 2\n")))
    assert load_settings().concurrency == 2


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_config_loads(path):
    assert load_settings(path).backend.model


def error_of(*args, **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path):
    assert "nope.yaml" in error_of(tmp_path / "nope.yaml")


def test_malformed_yaml_names_file_and_line(yaml_file):
    message = error_of(yaml_file("backend:\n  model: ok\nconcurrency: [1,\n"))
    assert "ttc.yaml" in message and "line" in message


def test_top_level_must_be_a_mapping(yaml_file):
    assert "mapping" in error_of(yaml_file("- a\n- b\n"))


def test_unknown_key_suggests_the_right_one(yaml_file):
    message = error_of(yaml_file("backend:\n  modle: x\n"))
    assert "backend.modle" in message and "did you mean 'model'" in message and "ttc.yaml" in message


def test_unknown_key_from_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("TTC_BACKEND__TEMPRATURE", "0.5")
    message = error_of()
    assert "TTC_BACKEND__TEMPRATURE" in message and "temperature" in message


@pytest.mark.parametrize("text, needle", [
    ("concurrency: 0\n", "concurrency"),
    ("backend: {temperature: -1}\n", "backend.temperature"),
    ("backend: {max_tokens: 0}\n", "backend.max_tokens"),
    ("retry: {attempts: 0}\n", "retry.attempts"),
])
def test_bad_values(yaml_file, text, needle):
    message = error_of(yaml_file(text))
    assert needle in message and "got" in message


def test_resolve_backend_by_name_or_model(yaml_file):
    settings = load_settings(yaml_file("backends:\n  gpu: {model: openai/big, api_base: 'http://127.0.0.1:8000/v1'}\n"))
    assert settings.resolve_backend(None).model == "local/smollm2-135m-instruct"
    assert settings.resolve_backend("gpu").api_base == "http://127.0.0.1:8000/v1"
    assert settings.resolve_backend("openai/gpt-4o-mini").model == "openai/gpt-4o-mini"
    with pytest.raises(ConfigError, match="gpu"):
        settings.resolve_backend("big")


def test_keys_come_from_the_environment_and_are_never_stored(yaml_file, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-very-secret")
    settings = load_settings(yaml_file("backend: {model: openai/x, api_key_env: MY_KEY}\n"))
    assert settings.backend.api_key() == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in str(settings.redacted_dump())


def test_unset_key_variable_says_how_to_set_it(yaml_file, monkeypatch):
    monkeypatch.delenv("MY_KEY", raising=False)
    settings = load_settings(yaml_file("backend: {model: openai/x, api_key_env: MY_KEY}\n"))
    with pytest.raises(ConfigError, match="export MY_KEY"):
        settings.backend.api_key()
