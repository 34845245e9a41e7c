import pytest
from astropy.table import QTable

from astro_sso.io import atomic_path, write_table


def test_interrupted_write_leaves_previous_file(tmp_path):
    path = tmp_path / "t.ecsv"
    write_table(QTable({"a": [1]}), path)
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert QTable.read(path)["a"].tolist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["t.ecsv"]


def test_written_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = write_table(QTable({"a": [1]}), tmp_path / "t.ecsv")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
