"""``cache_usage``: what the project's cache entries hold, nothing else in the directory counted."""

from ttc_modules.lm.cache import MARKER, cache_usage, mark_cache_dir


def test_only_the_project_s_entries_count(tmp_path):
    (tmp_path / "notes.txt").write_text("the user's")
    assert cache_usage(tmp_path) == {"files": 0, "bytes": 0, "foreign": True}
    mark_cache_dir(tmp_path)
    (tmp_path / "lm" / "a").mkdir(parents=True)
    (tmp_path / "lm" / "a" / "entry").write_text("12345")
    (tmp_path / "lm-usage").write_text("123")
    assert (tmp_path / MARKER).exists()
    assert cache_usage(tmp_path) == {"files": 2, "bytes": 8, "foreign": False}


def test_a_directory_not_there_holds_nothing_and_is_not_foreign(tmp_path):
    assert cache_usage(tmp_path / "none") == {"files": 0, "bytes": 0, "foreign": False}
