"""The oracle verifier: it reads the reference answer."""

import pytest

from ttc_modules.verifiers import OracleVerifier, VerifierError


def test_oracle_reads_the_reference():
    assert OracleVerifier().score({"question": "q", "answer": "8"}, ["The answer is 8.0"]) == [1.0]
    with pytest.raises(VerifierError, match="reference answer"):
        OracleVerifier().score({"question": "q"}, ["The answer is 8."])
