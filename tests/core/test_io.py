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
