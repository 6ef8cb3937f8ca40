"""Progress reporting without a terminal."""


def test_progress_without_a_terminal_prints_lines_with_eta(capsys):
    from ttc_modules.evaluation.progress import progress_bar

    with progress_bar(3, title="calibrating", every=0) as advance:
        for label in ("q1", "q2", "q3"):
            advance(label)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and lines[0].startswith("calibrating: 1/3 (33%), 0m00s elapsed, ETA ")
    assert lines[-1].endswith(": q3") and "3/3 (100%)" in lines[-1]
