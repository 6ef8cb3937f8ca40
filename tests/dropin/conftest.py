"""DSPy's own tests configure a global LM (``dspy.configure``): put DSPy's settings back after each test."""

import dspy
import pytest


@pytest.fixture(autouse=True)
def dspy_settings_restored():
    saved = {key: dspy.settings.get(key) for key in ("lm", "adapter")}
    yield
    dspy.configure(**saved)
