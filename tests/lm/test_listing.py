"""``model_listing``: what ``ttc models`` shows, from the settings."""

from ttc_modules.config import load_settings
from ttc_modules.lm.embedded import catalogue
from ttc_modules.lm.listing import model_listing


def test_the_embedded_models_and_the_configured_backends(tmp_path, monkeypatch):
    monkeypatch.setattr(catalogue, "_user_models", {})  # the model added here stays in this test
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    settings = load_settings(overrides={"local_models": {"mine": {"path": str(gguf), "chat": False, "params": 1e6}},
                                        "backends": {"gpu": {"model": "openai/qwen", "api_base": "http://h:8000/v1"}},
                                        "backend.model": "local/mine"})
    listing = model_listing(settings)
    rows = {row["model"]: row for row in listing["embedded"]}
    assert rows["local/mine"] == {"model": "local/mine", "kind": "base (few-shot text)", "params": 1e6,
                                  "installed": True, "source": f"user GGUF {gguf}", "default": True}
    assert "local/smollm2-135m-instruct" in rows and not rows["local/smollm2-135m-instruct"]["default"]
    assert list(listing["backends"]) == ["backend", "gpu"]
    assert listing["backends"]["gpu"]["api_base"] == "http://h:8000/v1"
    assert listing["backends"]["backend"]["model"] == "local/mine"
