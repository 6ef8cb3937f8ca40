"""Data sets: the ones shipped with the package, synthetic questions, user files with bad rows, splits."""

import pytest

from ttc_modules.evaluation.datasets import (
    DatasetError,
    load_dataset,
    load_gsm8k,
    load_math500,
    load_records,
    load_synthetic,
    split,
)


def test_the_packaged_data_sets_load_with_references():
    gsm8k = load_gsm8k(limit=5)
    assert len(gsm8k) == 5 and gsm8k[0].answer == "72" and set(gsm8k[0].inputs().keys()) == {"question"}
    math = load_math500(limit=5)
    assert math[0].answer == "\\left( 3, \\frac{\\pi}{2} \\right)" and 1 <= math[0].level <= 5
    assert len(load_gsm8k()) == 7473 and len(load_math500()) == 250 and math[0].id == "math500_0000"


def test_the_packaged_data_sets_load_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_dataset("gsm8k", limit=1)[0].answer == "72" and len(load_dataset("math500", limit=3)) == 3


def test_a_gzipped_file_of_ones_own(tmp_path):
    import gzip

    with gzip.open(tmp_path / "mine.jsonl.gz", "wt") as handle:
        handle.write('{"question": "What is 1 + 1?", "answer": "2"}\n')
    assert load_dataset(str(tmp_path / "mine.jsonl.gz"))[0].answer == "2"


def test_synthetic_is_seeded_and_graded():
    a, b = load_synthetic(3, seed=1), load_synthetic(3, seed=1)
    assert [e.question for e in a] == [e.question for e in b] and {e.level for e in a} == {1, 2, 3, 4, 5}
    assert load_synthetic(3, seed=2)[0].question != a[0].question


def test_bad_rows_are_reported_with_their_number_and_skipped(tmp_path, caplog):
    path = tmp_path / "mine.jsonl"
    path.write_text('{"q": "What is 1 + 1?", "a": "2"}\n{"q": "", "a": "3"}\nnot json\n{"a": "4"}\n'
                    '{"q": "What is 2 + 2?", "a": "4"}\n')
    examples = load_records(path, question="q", answer="a")
    assert [e.answer for e in examples] == ["2", "4"]
    assert "row 2: empty question" in caplog.text and "row 3: not a JSON object" in caplog.text
    assert "row 4: missing field 'q'" in caplog.text
    with pytest.raises(DatasetError, match="row 2: empty question"):
        load_records(path, question="q", answer="a", strict=True)


def test_csv_with_a_field_mapping_and_unparsable_answers(tmp_path, caplog):
    path = tmp_path / "mine.csv"
    path.write_text("problem,solution\nWhat is 1 + 1?,#### 2\nWhat is 5 - 2?,three\n")
    from ttc_modules.evaluation.datasets import _gsm8k_answer

    examples = load_records(path, question="problem", answer="solution", answer_parser=_gsm8k_answer)
    assert [e.answer for e in examples] == ["2"] and "row 3: unparsable answer" in caplog.text


def test_unknown_data_set_and_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="unknown data set 'mnist'"):
        load_dataset("mnist")
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(str(tmp_path / "missing.jsonl"))


def test_split_is_seeded_and_disjoint():
    examples = load_synthetic(5, levels=[1])
    train, test = split(examples, 0.4, seed=3)
    assert len(test) == 2 and not {e.id for e in train} & {e.id for e in test}
    assert split(examples, 0.4, seed=3) == (train, test)


def _write_jsonl(path, rows):
    import json

    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def test_a_file_is_read_in_the_format_its_fields_tell(tmp_path):
    gsm8k = _write_jsonl(tmp_path / "g.jsonl", [{"question": "Q?", "answer": "1 + 1 = 2\n#### 1,002"}])
    math = _write_jsonl(tmp_path / "m.jsonl", [{"id": "m1", "problem": "P?", "answer": "\\frac{1}{2}", "level": 3}])
    raw_math = _write_jsonl(tmp_path / "r.jsonl", [{"problem": "P?", "solution": "so $\\boxed{7}$", "level": "Level 4"}])
    plain = _write_jsonl(tmp_path / "p.jsonl", [{"question": "Q?", "answer": "x = 3"}])
    assert load_dataset(gsm8k)[0].answer == "1002"  # the reference, not the whole solution
    example = load_dataset(math)[0]
    assert (example.id, example.question, example.answer, example.level) == ("m1", "P?", "\\frac{1}{2}", 3)
    assert (load_dataset(raw_math)[0].answer, load_dataset(raw_math)[0].level) == ("7", 4)
    assert load_dataset(plain)[0].answer == "x = 3"


def test_a_format_can_be_named_with_a_path(tmp_path):
    path = _write_jsonl(tmp_path / "g.jsonl", [{"question": "Q?", "answer": "#### 5"}])
    assert load_dataset(f"gsm8k:{path}")[0].answer == "5"
    with pytest.raises(DatasetError, match="missing field 'problem'"):
        load_dataset(f"math500:{path}", strict=True)


def test_hugging_face_data_sets_fail_offline_with_one_line():
    with pytest.raises(DatasetError, match="cannot load hf:openai/gsm8k:test from the Hugging Face hub") as failure:
        load_dataset("hf:openai/gsm8k:test")
    assert "\n" not in str(failure.value) and "save the rows as JSONL" in str(failure.value)
    with pytest.raises(DatasetError, match="needs a data set id"):
        load_dataset("hf:")


@pytest.mark.parametrize("spec", ["synthetic:0", "synthetic:x"])
def test_a_bad_synthetic_size_is_named(spec):
    with pytest.raises(DatasetError, match="synthetic:N takes a positive number"):
        load_dataset(spec)


@pytest.mark.integration
def test_an_installed_wheel_carries_the_data_sets(tmp_path):
    """Built as a wheel and installed elsewhere, the package still finds GSM8K and MATH-500."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", str(root), "-w", str(tmp_path / "wheel")], check=True)
    (wheel,) = (tmp_path / "wheel").glob("dspy_ttc-*.whl")
    subprocess.run([*pip, "install", "-q", "--no-deps", "--target", str(tmp_path / "site"), str(wheel)], check=True)
    check = (
        "import ttc_modules; from ttc_modules.evaluation.datasets import load_dataset; "
        "print(ttc_modules.__file__, len(load_dataset('gsm8k')), len(load_dataset('math500')))"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = subprocess.run([sys.executable, "-c", check], cwd=elsewhere, env={"PYTHONPATH": str(tmp_path / "site")},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0].startswith(str(tmp_path / "site")) and out[1:] == ["7473", "250"]
