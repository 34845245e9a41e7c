import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable, Table
from astropy.time import Time

from astro_sso.exceptions import InputError
from astro_sso.tables import (
    COLUMNS,
    SCHEMAS,
    columns_rst,
    empty_table,
    schema_rst,
    validate_table,
)


def _det():
    return QTable(
        {
            "ra": [10.0, 11.0] * u.deg,
            "dec": [1.0, 2.0] * u.deg,
            "obstime": Time(["2024-01-01T00:00", "2024-01-01T01:00"]),
        }
    )


def test_every_schema_column_is_in_the_vocabulary():
    for sch in SCHEMAS.values():
        for name in sch.columns:
            assert name in COLUMNS, f"{sch.name}: {name}"


def test_one_meaning_per_name():
    assert COLUMNS["obstime"].kind == "time" and COLUMNS["obstime"].scale is None
    assert COLUMNS["epoch"].kind == "time" and COLUMNS["epoch"].scale == "tdb"
    assert "measured" in COLUMNS["mag"].description.lower()
    assert "predicted" in COLUMNS["V"].description.lower()
    assert COLUMNS["observer"].kind == "str"


def test_trails_and_points_have_the_issue_columns():
    trails = SCHEMAS["trails"].columns
    for name in [
        "trail_id",
        "label",
        "score",
        "x_min",
        "x_max",
        "y_min",
        "y_max",
        "ra_start",
        "dec_start",
        "ra_end",
        "dec_end",
        "obstime_start",
        "obstime_end",
        "mag",
        "band",
        "observer",
    ]:
        assert name in trails
    assert list(SCHEMAS["trail_points"].columns[:4]) == ["trail_id", "obstime", "ra", "dec"]
    assert {"flux", "snr"} <= set(SCHEMAS["trail_points"].columns)


def test_missing_column_message_names_column_reason_and_given_columns():
    t = _det()
    del t["obstime"]
    with pytest.raises(InputError) as exc:
        validate_table(t, "detections")
    msg = str(exc.value)
    assert "column 'obstime' missing" in msg
    assert "detections need an observation time" in msg
    assert "['ra', 'dec']" in msg


def test_units_are_converted_and_unitless_columns_get_canonical_units():
    t = _det()
    t["ra"] = t["ra"].to(u.arcsec)
    t["sigma"] = [0.1, 0.2]  # no unit: read in arcsec
    out = validate_table(t, "detections")
    assert out["ra"].unit == u.deg
    assert np.allclose(out["ra"].value, [10, 11])
    assert out["sigma"].unit == u.arcsec


def test_wrong_unit_is_a_clear_error():
    t = _det()
    t["ra"] = [1.0, 2.0] * u.m
    with pytest.raises(InputError, match="unit 'm'.*does not convert to deg"):
        validate_table(t, "detections")


def test_float_times_are_refused_with_a_hint_and_iso_strings_accepted():
    t = Table({"ra": [1.0], "dec": [2.0], "obstime": [2460000.5]})
    with pytest.raises(InputError, match="must be an astropy Time.*scale is explicit"):
        validate_table(t, "detections")
    t = Table({"ra": [1.0], "dec": [2.0], "obstime": ["2024-01-01T00:00:00"]})
    assert isinstance(validate_table(t, "detections")["obstime"], Time)


def test_nan_in_required_column_names_rows():
    t = _det()
    t["dec"][1] = np.nan * u.deg
    with pytest.raises(InputError, match=r"non-finite.*rows \[1\]"):
        validate_table(t, "detections")
    assert len(validate_table(t, "detections", allow_nan=True)) == 2


def test_epoch_is_converted_to_tdb():
    t = QTable({"designation": ["x"], "epoch": Time(["2024-01-01T00:00:00"], scale="utc")})
    assert validate_table(t, "orbits")["epoch"].scale == "tdb"


def test_empty_tables_are_typed_and_validate():
    t = empty_table("detections", ["det_id", "ra", "dec", "obstime", "mag", "band"])
    assert len(t) == 0 and t["ra"].unit == u.deg and isinstance(t["obstime"], Time)
    assert validate_table(t, "detections") is not t
    with pytest.raises(InputError, match="empty"):
        validate_table(t, "detections", allow_empty=False)


def test_not_a_table_is_refused():
    with pytest.raises(InputError, match="expected an astropy Table"):
        validate_table({"ra": [1]}, "detections")


def test_rst_rendering_covers_every_column_and_schema():
    text = columns_rst()
    for name in COLUMNS:
        assert f"``{name}``" in text
    for kind in SCHEMAS:
        assert schema_rst(kind).startswith(f"``{kind}``")
