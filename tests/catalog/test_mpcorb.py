"""MPCORB.DAT, its JSON export and CometEls.txt: reading, writing, caching, bad lines."""

import gzip
import json
import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from astropy.time import Time
from catalog_data import CERES_2024, MPCORB_2010, MPCORB_HEADER, ceres_horizons

from astro_sso.catalog import (
    FLAG_NEO,
    FLAG_PHA,
    MPCORB_FIELDS,
    ORBIT_TYPES,
    calendar_to_jd,
    classify_orbits,
    read_comet_els,
    read_mpcorb,
    write_mpcorb,
)
from astro_sso.catalog import mpcorb as mpcorb_module
from astro_sso.exceptions import AstroSSOWarning, InputError


def _place(fields, width=202):
    """A line with each (first column, text) placed at its 1-based column."""
    line = [" "] * width
    for col, text in fields:
        line[col - 1 : col - 1 + len(text)] = list(text)
    return "".join(line)


# A one-opposition NEO line built field by field at the documented columns
# (illustrative element values, not a real object).
NEO_LINE = _place(
    [
        (1, "K24A00B"),
        (9, "22.10"),
        (15, " 0.15"),
        (21, "K2555"),
        (27, "123.45678"),
        (38, "234.56789"),
        (49, "345.67890"),
        (60, " 12.34567"),
        (71, "0.5123456"),
        (81, " 0.45678901"),
        (93, "  1.6123456"),
        (106, "E"),
        (108, "MPEC 2024"),
        (118, "   25"),
        (124, "  1"),
        (128, "   9 days"),
        (138, "0.45"),
        (151, "MPCLINUX"),
        (162, "9803"),
        (176, "2024 AB"),
        (195, "20240105"),
    ]
)


@pytest.fixture
def tmp_mpcorb(tmp_path):
    def make(lines, name="MPCORB.DAT", header=True, newline="\n"):
        text = (MPCORB_HEADER if header else "") + newline.join(lines) + newline
        path = tmp_path / name
        path.write_bytes(text.encode())
        return path

    return make


def test_real_line_fields(tmp_mpcorb):
    assert len(CERES_2024) == 202
    t = read_mpcorb(tmp_mpcorb([CERES_2024]), cache=False)
    assert len(t) == 1
    row = t[0]
    assert (row["designation"], row["number"], row["name"], row["packed"]) == (
        "1",
        1,
        "Ceres",
        "00001",
    )
    assert row["H"] == 3.34 * u.mag and row["G"] == 0.15
    assert t["epoch"].scale == "tdb"
    assert abs((t["epoch"][0].tt - Time("2025-05-05", scale="tt")).to_value(u.s)) < 1e-4
    for name, value in [
        ("M", 188.70269),
        ("argperi", 73.27343),
        ("node", 80.25221),
        ("i", 10.58780),
    ]:
        assert row[name].to_value(u.deg) == value
    assert row["e"] == 0.0794013
    assert row["n"].to_value(u.deg / u.day) == 0.21424651
    assert row["a"].to_value(u.AU) == 2.7660512
    assert row["U"] == 0 and row["U_flag"] == ""
    assert row["reference"] == "E2024-V47"
    assert (row["n_obs"], row["n_opp"], row["first_year"], row["last_year"]) == (
        7330,
        125,
        1801,
        2024,
    )
    assert row["arc"].to_value(u.day) == pytest.approx(223 * 365.25)
    assert row["rms"].to_value(u.arcsec) == 0.80
    assert (row["perturbers"], row["perturbers_2"], row["computer"]) == ("M-v", "30k", "MPCLINUX")
    assert row["flags"] == 0x4000 and row["class"] == "MBA"
    assert not row["neo"] and not row["pha"]
    assert row["last_obs"] == "20241101"


def test_mpcorb_2010_edition_lines(tmp_mpcorb):
    t = read_mpcorb(tmp_mpcorb(MPCORB_2010), cache=False)
    assert t["designation"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert t["name"].tolist() == ["Ceres", "Pallas", "Juno", "Vesta", "Astraea", "Hebe"]
    assert t["reference"][4] == "MPO 41498"
    assert t["computer"][4] == "Goffin"
    # Hebe carries orbit-type code 7 (internal to the MPC): its class comes from its elements
    assert t["flags"][5] == 7 and t["class"][5] == "MBA"
    assert t["i"][1].to_value(u.deg) == 34.84091
    assert np.all(np.abs((t["epoch"].tt - Time("2010-07-23", scale="tt")).to_value(u.s)) < 1e-4)


@pytest.mark.parametrize("line", [CERES_2024, MPCORB_2010[0]], ids=["MPCORB-2024", "MPCORB-2010"])
def test_real_lines_reproduce_jpl_horizons(tmp_mpcorb, line):
    """Ceres from the MPC's lines, integrated to 2022, lands on JPL Horizons' positions.

    A wrong field, unit, frame or epoch in the parse would put it degrees away.
    """
    from astro_sso.ephemeris import ephemeris

    _, hz = ceres_horizons()
    orb = read_mpcorb(tmp_mpcorb([line]), cache=False)
    times = Time(hz["jd_utc"], format="jd", scale="utc")
    eph = ephemeris(orb, times, observer="500", method="nbody")
    sep = SkyCoord(eph["ra"], eph["dec"]).separation(SkyCoord(hz["ra"] * u.deg, hz["dec"] * u.deg))
    assert sep.max() < 1 * u.arcsec


def test_unnumbered_neo_line(tmp_mpcorb):
    t = read_mpcorb(tmp_mpcorb([NEO_LINE], header=False), cache=False)
    row = t[0]
    assert (row["designation"], row["number"], row["name"]) == ("2024 AB", -1, "")
    assert row["class"] == "Apollo" and row["neo"] and row["pha"]
    assert row["flags"] == 0x9803 and (row["flags"] & FLAG_NEO) and (row["flags"] & FLAG_PHA)
    assert np.ma.is_masked(row["U"]) and row["U_flag"] == "E"
    assert row["arc"].to_value(u.day) == 9 and np.ma.is_masked(row["first_year"])
    assert row["H"].to_value(u.mag) == 22.10


def test_numbered_unnamed_object_keeps_its_provisional_designation(tmp_mpcorb, tmp_path):
    # "(3708) 1974 FV1": numbered, no name; the readable field shows the provisional one
    line = MPCORB_2010[0].replace("00001", "03708", 1)
    line = line[:166] + f"{'(3708)':>8s} {'1974 FV1':<19s}" + line[194:]
    survey = MPCORB_2010[1].replace("00002", "01691", 1)
    survey = survey[:166] + f"{'(1691)':>8s} {'6074 P-L':<19s}" + survey[194:]
    path = tmp_mpcorb([line, survey, MPCORB_2010[2], NEO_LINE])
    t = read_mpcorb(path, cache=False)
    assert t["designation"].tolist() == ["3708", "1691", "3", "2024 AB"]
    assert t["name"].tolist() == ["", "", "Juno", ""]
    assert t["provisional"].tolist() == ["1974 FV1", "6074 P-L", "", "2024 AB"]
    out = tmp_path / "back.dat"
    write_mpcorb(t, out, header=False)
    assert out.read_text().splitlines()[:3] == [line, survey, MPCORB_2010[2]]


def test_header_blank_lines_crlf_and_trimmed_lines(tmp_mpcorb):
    lines = [CERES_2024, "", "   ", MPCORB_2010[1].rstrip()[:194], "", NEO_LINE]
    t = read_mpcorb(tmp_mpcorb(lines, newline="\r\n"), cache=False)
    assert t["designation"].tolist() == ["1", "2", "2024 AB"]
    assert t["last_obs"][1] == ""


def test_gzip_gives_the_same_table(tmp_mpcorb, tmp_path):
    plain = tmp_mpcorb(MPCORB_2010)
    gz = tmp_path / "MPCORB.DAT.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    a = read_mpcorb(plain, cache=False)
    b = read_mpcorb(gz, cache=False)
    for name in ("designation", "a", "e", "M", "H", "class"):
        assert np.all(a[name] == b[name])


def test_many_lines_use_the_fast_paths(tmp_mpcorb):
    # hundreds of equal lines take the strided-copy path; one odd line the gather path
    lines = MPCORB_2010 * 50 + [MPCORB_2010[0].rstrip() + "   "]
    t = read_mpcorb(tmp_mpcorb(lines), cache=False)
    assert len(t) == 301
    assert t["name"].tolist()[:6] == ["Ceres", "Pallas", "Juno", "Vesta", "Astraea", "Hebe"]


def _synthetic_catalogue(n=400, seed=7):
    from astro_sso.simulate import synthetic_orbits

    rng = np.random.default_rng(seed)
    orb = synthetic_orbits(n, seed=seed, epoch=Time("2025-05-05", scale="tt").tdb)
    numbered = rng.random(n) < 0.5
    number = np.where(numbered, rng.integers(1, 2_000_000, n), -1)
    orb["number"] = number
    years = rng.integers(1990, 2026, n)
    half, second = "ABCDEFGHJKLMNOPQRSTUVWXY", "ABCDEFGHJKLMNOPQRSTUVWXYZ"
    desig = [
        str(num) if num > 0 else f"{y} {half[k % 24]}{second[k % 25]}{k % 300 or ''}"
        for k, (num, y) in enumerate(zip(number, years, strict=True))
    ]
    orb["designation"] = desig
    orb["name"] = np.where(numbered & (rng.random(n) < 0.5), "Named", "")
    orb["U"] = np.ma.masked_array(rng.integers(0, 10, n), mask=rng.random(n) < 0.1)
    orb["n_obs"] = rng.integers(5, 9000, n)
    orb["n_opp"] = rng.integers(1, 90, n)
    one = orb["n_opp"] == 1
    orb["first_year"] = np.ma.masked_array(rng.integers(1900, 2000, n), mask=one)
    orb["last_year"] = np.ma.masked_array(rng.integers(2000, 2026, n), mask=one)
    orb["arc"] = np.where(one, rng.integers(1, 300, n), np.nan) * u.day
    orb["rms"] = np.round(rng.uniform(0.1, 0.99, n), 2) * u.arcsec
    orb["reference"] = "MPO123456"
    orb["computer"] = "MPCLINUX"
    orb["H"][::17] = np.nan * u.mag
    return orb


def test_write_read_round_trip(tmp_path):
    orb = _synthetic_catalogue()
    path = tmp_path / "syn.dat"
    write_mpcorb(orb, path)
    back = read_mpcorb(path, cache=False)
    assert len(back) == len(orb)
    assert back["designation"].tolist() == [str(d) for d in orb["designation"]]
    np.testing.assert_array_equal(back["number"], orb["number"])
    for name, tol in (("a", 1e-7), ("i", 1e-5), ("node", 1e-5), ("argperi", 1e-5), ("M", 1e-5)):
        diff = np.abs((back[name] - orb[name]).value)
        diff = np.minimum(diff, 360 - diff) if name != "a" else diff
        assert diff.max() <= tol / 2 + 1e-12, name
    assert np.abs(back["e"] - orb["e"]).max() <= 0.5e-7
    finite = np.isfinite(orb["H"])
    assert np.all(np.isnan(back["H"][~finite]))
    assert np.abs((back["H"][finite] - orb["H"][finite]).value).max() <= 0.005
    # MPC orbit-type names survive; other labels ('NEA', 'Trojan') become the class of the elements
    mpc = np.isin(orb["class"], list(ORBIT_TYPES.values()))
    expected = np.where(mpc, orb["class"], classify_orbits(orb["a"], orb["e"], orb["i"]))
    assert back["class"].tolist() == expected.tolist()
    np.testing.assert_array_equal(back["U"].mask, orb["U"].mask)
    np.testing.assert_array_equal(back["n_obs"], orb["n_obs"])
    assert np.all((back["epoch"] - orb["epoch"]).to_value(u.s) < 1e-3)
    # the text round trip is exact: writing what was read gives the same bytes
    again = tmp_path / "again.dat"
    write_mpcorb(back, again)
    assert again.read_bytes() == path.read_bytes()


def test_real_lines_written_back_byte_for_byte(tmp_mpcorb, tmp_path):
    t = read_mpcorb(tmp_mpcorb(MPCORB_2010 + [CERES_2024], header=False), cache=False)
    out = tmp_path / "out.dat"
    write_mpcorb(t, out, header=False)
    assert out.read_text().splitlines() == MPCORB_2010 + [CERES_2024]


def test_write_gzip_and_overwrite(tmp_path):
    orb = _synthetic_catalogue(20)
    path = tmp_path / "syn.dat.gz"
    write_mpcorb(orb, path)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert len(read_mpcorb(path, cache=False)) == 20
    with pytest.raises(InputError, match="exists"):
        write_mpcorb(orb, path)
    write_mpcorb(orb, path, overwrite=True)


def test_writer_rejects_what_the_format_cannot_hold(tmp_path):
    orb = _synthetic_catalogue(5)
    with pytest.raises(InputError, match="needs columns"):
        write_mpcorb(orb[["designation", "a", "e"]], tmp_path / "x.dat")
    hyper = orb.copy()
    hyper["e"][2] = 1.2
    with pytest.raises(InputError, match="elliptic orbits only"):
        write_mpcorb(hyper, tmp_path / "x.dat")
    late = orb.copy()
    late["epoch"] = late["epoch"] + 0.25 * u.day
    with pytest.raises(InputError, match="0h TT"):
        write_mpcorb(late, tmp_path / "x.dat")
    big = orb.copy()
    big["a"][0] = 123456.0 * u.AU
    with pytest.raises(InputError, match="does not fit"):
        write_mpcorb(big, tmp_path / "x.dat")


def _corrupt(line, name, text):
    c0, c1 = MPCORB_FIELDS[name]
    assert len(text) == c1 - c0 + 1
    return line[: c0 - 1] + text + line[c1:]


BAD = [
    ("e", " 0.07x401"),
    ("epoch", "K25Z5"),
    ("a", "    -2.7660"),
    ("M", "         "),
    ("e", "1.0794013"),
    ("n_obs", " 73a0"),
    ("flags", "40G0"),
]


@pytest.mark.parametrize(("field", "text"), BAD)
def test_corrupt_line_raises_naming_line_and_field(tmp_mpcorb, field, text):
    lines = list(MPCORB_2010)
    lines[3] = _corrupt(lines[3], field, text)
    path = tmp_mpcorb(lines)
    header_lines = MPCORB_HEADER.count("\n")
    with pytest.raises(InputError) as err:
        read_mpcorb(path, cache=False)
    msg = str(err.value)
    assert f"line {header_lines + 4}:" in msg and f"field '{field}'" in msg
    assert "errors='skip'" in msg


def test_short_line_is_reported(tmp_mpcorb):
    lines = list(MPCORB_2010)
    lines[1] = lines[1][:60]
    with pytest.raises(InputError, match="field 'line'.*shorter than 103"):
        read_mpcorb(tmp_mpcorb(lines, header=False), cache=False)


def test_skip_and_warn_drop_bad_lines(tmp_mpcorb):
    lines = list(MPCORB_2010)
    lines[1] = _corrupt(lines[1], "e", " 0.07x401")
    lines[4] = _corrupt(lines[4], "epoch", "K25Z5")
    path = tmp_mpcorb(lines, header=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = read_mpcorb(path, errors="skip", cache=False)
    assert t["designation"].tolist() == ["1", "3", "4", "6"]
    assert t.meta["skipped_lines"] == [2, 5] and t.meta["n_skipped"] == 2
    with pytest.warns(
        AstroSSOWarning, match=r"skipped 2 unreadable row\(s\); first: 2 \(e\), 5 \(epoch\)"
    ):
        read_mpcorb(path, errors="warn", cache=False)
    with pytest.raises(InputError, match="errors must be"):
        read_mpcorb(path, errors="ignore")


def test_one_bad_row_in_many_does_not_sink_the_read(tmp_mpcorb):
    lines = MPCORB_2010 * 400
    lines[1234] = _corrupt(lines[1234], "i", "  abc.def")
    t = read_mpcorb(tmp_mpcorb(lines, header=False), errors="skip", cache=False)
    assert len(t) == len(lines) - 1 and t.meta["skipped_lines"] == [1235]


def test_number_parser_matches_python_float():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.uniform(-99, 999, 300), rng.uniform(-1, 1, 100), [0.0, -0.0]])
    texts = [f"{v:9.5f}" for v in values] + [f"{v:9.3f}" for v in values[:50]]
    texts += [" 3.4     ", "    -.5  ", "+12.25   ", "      12.", "    7    "]
    mat = np.frombuffer("".join(texts).encode(), dtype=np.uint8).reshape(len(texts), 9)
    vals, bad = mpcorb_module._parse_numbers(mat)
    assert not bad.any()
    np.testing.assert_array_equal(vals, [float(s) for s in texts])
    badtexts = ["  1.2.3  ", "  1 2.3  ", "   -     ", "  1e5    ", "   nan   ", "    .    "]
    mat = np.frombuffer("".join(badtexts).encode(), dtype=np.uint8).reshape(len(badtexts), 9)
    _, bad = mpcorb_module._parse_numbers(mat)
    assert bad.all()


def test_cache_is_used_and_invalidated(tmp_mpcorb, tmp_path, monkeypatch):
    path = tmp_mpcorb(MPCORB_2010)
    cache = tmp_path / "cache"
    first = read_mpcorb(path, cache=cache)
    assert len(list(cache.iterdir())) == 1

    def boom(_):
        raise AssertionError("the text was parsed again")

    monkeypatch.setattr(mpcorb_module, "_parse_file", boom)
    second = read_mpcorb(path, cache=cache)
    for name in first.colnames:
        if name == "epoch":
            assert np.all(first[name] == second[name])
        else:
            assert np.all(first[name] == second[name]), name
    monkeypatch.undo()
    # a new version of the file replaces the old cache
    path.write_text(MPCORB_HEADER + "\n".join(MPCORB_2010[:2]) + "\n")
    third = read_mpcorb(path, cache=cache)
    assert len(third) == 2 and len(list(cache.iterdir())) == 1


def test_cached_bad_lines_still_raise(tmp_mpcorb, tmp_path):
    lines = list(MPCORB_2010)
    lines[2] = _corrupt(lines[2], "e", " 0.07x401")
    path = tmp_mpcorb(lines, header=False)
    cache = tmp_path / "cache"
    assert len(read_mpcorb(path, errors="skip", cache=cache)) == 5
    with pytest.raises(InputError, match="line 3: field 'e'"):
        read_mpcorb(path, cache=cache)


def _json_rows():
    return [
        {
            "Number": "(1)",
            "Name": "Ceres",
            "Principal_desig": "A899 OF",
            "Epoch": 2460800.5,
            "a": 2.7660512,
            "e": 0.0794013,
            "i": 10.5878,
            "Node": 80.25221,
            "Peri": 73.27343,
            "M": 188.70269,
            "n": 0.21424651,
            "H": 3.34,
            "G": 0.15,
            "U": "0",
            "Ref": "E2024-V47",
            "Num_obs": 7330,
            "Num_opps": 125,
            "Arc_years": "1801-2024",
            "rms": 0.8,
            "Perturbers": "M-v",
            "Perturbers_2": "30k",
            "Computer": "MPCLINUX",
            "Hex_flags": "4000",
            "Last_obs": "2024-11-01",
            "Orbit_type": "MBA",
        },
        {
            "Principal_desig": "2024 AB",
            "Epoch": 2460800.5,
            "a": 1.6123456,
            "e": 0.5123456,
            "i": 12.34567,
            "Node": 345.6789,
            "Peri": 234.56789,
            "M": 123.45678,
            "H": 22.1,
            "U": "E",
            "Num_obs": 25,
            "Num_opps": 1,
            "Arc_length": 9,
            "Orbit_type": "Apollo",
            "NEO_flag": 1,
            "PHA_flag": 1,
        },
        {"Principal_desig": "2024 AC", "Epoch": 2460800.5, "a": 2.5, "e": "x"},
    ]


def test_json_export(tmp_path):
    path = tmp_path / "mpcorb_extended.json.gz"
    path.write_bytes(gzip.compress(json.dumps(_json_rows()).encode()))
    with pytest.raises(InputError, match="object 3: field"):
        read_mpcorb(path, cache=False)
    t = read_mpcorb(path, errors="skip", cache=False)
    assert t.meta["format"] == "MPC JSON export"
    assert t["designation"].tolist() == ["1", "2024 AB"]
    assert t["name"].tolist() == ["Ceres", ""]
    assert t["packed"].tolist() == ["00001", "K24A00B"]
    assert t["class"].tolist() == ["MBA", "Apollo"]
    assert t["neo"].tolist() == [False, True] and t["pha"].tolist() == [False, True]
    assert t["U"][0] == 0 and np.ma.is_masked(t["U"][1]) and t["U_flag"][1] == "E"
    assert t["first_year"][0] == 1801 and t["arc"][1] == 9 * u.day
    assert abs((t["epoch"][0].tt - Time("2025-05-05", scale="tt")).to_value(u.s)) < 1e-4


def test_missing_file_and_bad_json(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_mpcorb(tmp_path / "nope.dat")
    bad = tmp_path / "bad.json"
    bad.write_text("[{oops")
    with pytest.raises(InputError, match="not valid JSON"):
        read_mpcorb(bad, cache=False)


# CometEls.txt lines: 1P in the MPC's format as quoted in an open-source project's
# documentation; the other two built field by field (illustrative values).
HALLEY = (
    "0001P         2061 08 31.8266  0.583972  0.967311  112.5470   59.6368  162.2146  "
    "20250501   4.0  6.0  1P/Halley                                                 98, 1083"
)
HALE_BOPP = _place(
    [
        (5, "C"),
        (6, "J95O010"),
        (15, "1997"),
        (20, "04"),
        (23, "01.1373"),
        (31, " 0.914260"),
        (42, "0.995078"),
        (52, "130.5889"),
        (62, "282.4706"),
        (72, " 89.4291"),
        (82, "19970410"),
        (92, "-2.0"),
        (97, " 4.0"),
        (103, "C/1995 O1 (Hale-Bopp)"),
        (160, "MPC 12345"),
    ],
    width=168,
)
HYPERBOLIC = _place(
    [
        (5, "C"),
        (15, "2019"),
        (20, "12"),
        (23, "08.5500"),
        (31, " 2.006500"),
        (42, "3.356000"),
        (52, "209.1000"),
        (62, "308.1000"),
        (72, " 44.0500"),
        (92, "12.0"),
        (97, " 4.0"),
        (103, "2I/Borisov"),
    ],
    width=168,
)


def test_comet_els(tmp_path):
    path = tmp_path / "CometEls.txt"
    path.write_text("\n".join([HALLEY, HALE_BOPP, HYPERBOLIC]) + "\n")
    c = read_comet_els(path)
    assert c["designation"].tolist() == ["1P", "C/1995 O1", "2I"]
    assert c["name"].tolist() == ["Halley", "Hale-Bopp", "Borisov"]
    assert c["class"].tolist() == ["Comet"] * 3
    assert c["q"][0].to_value(u.AU) == 0.583972 and c["e"][0] == 0.967311
    assert c["i"][0].to_value(u.deg) == 162.2146
    assert c["reference"][0] == "98, 1083"
    assert c["tp"].scale == "tdb"
    # tp in TDB = 2061-08-31.8266 TT + (TDB - TT), which is below 2 ms
    assert abs(c["tp"][0].jd - (calendar_to_jd(2061, 8, 31) + 0.8266)) * 86400 < 2e-3
    assert abs((c["epoch"][0].tt - Time("2025-05-01", scale="tt")).to_value(u.s)) < 1e-4
    assert float(c["a"][0].unmasked.value) == pytest.approx(0.583972 / (1 - 0.967311))
    # hyperbolic: a < 0, as the Keplerian elements of the package have it
    assert float(c["a"][2].unmasked.value) == pytest.approx(2.0065 / (1 - 3.356))
    assert not np.any(c["a"].mask)
    # unperturbed orbit: epoch from the perihelion date
    assert abs((c["epoch"][2].tt - Time("2019-12-08", scale="tt")).to_value(u.s)) < 1e-4
    assert c["H"][1].to_value(u.mag) == -2.0 and c["K"][1] == 4.0
    # M at the epoch agrees with the time from perihelion
    n = np.degrees(0.01720209895) / c["a"][1].value ** 1.5
    dt = (c["epoch"][1] - c["tp"][1]).to_value(u.day)
    assert float(c["M"][1].unmasked.to_value(u.deg)) == pytest.approx(np.mod(n * dt, 360), abs=1e-9)


def test_parabolic_comet_has_masked_a_and_m(tmp_path):
    path = tmp_path / "CometEls.txt"
    path.write_text(HYPERBOLIC.replace("3.356000", "1.000000") + "\n")
    c = read_comet_els(path)
    assert c["a"].mask.tolist() == [True] and c["M"].mask.tolist() == [True]


def test_comet_els_bad_line(tmp_path):
    path = tmp_path / "CometEls.txt"
    path.write_text(HALLEY + "\n" + HALLEY.replace("0.583972", "0.58x972") + "\n")
    with pytest.raises(InputError, match="line 2: field 'q'"):
        read_comet_els(path)
    with pytest.warns(AstroSSOWarning, match="skipped 1"):
        assert len(read_comet_els(path, errors="warn")) == 1


def test_comets_feed_the_ephemeris(tmp_path):
    from astro_sso.ephemeris import prepare_orbits

    path = tmp_path / "CometEls.txt"
    path.write_text("\n".join([HALLEY, HYPERBOLIC]) + "\n")
    table = read_comet_els(path)
    prep = prepare_orbits(table)
    assert prep.state.shape == (2, 6) and np.isfinite(prep.state).all()


def test_classify_orbits():
    a = [0.8, 0.95, 1.5, 1.2, 1.55, 1.9, 2.4, 3.9, 5.2, 30.0, 2.6]
    e = [0.1, 0.3, 0.5, 0.05, 0.05, 0.08, 0.15, 0.15, 0.05, 0.1, 0.1]
    i = [5, 5, 5, 5, 5, 22, 24, 8, 10, 5, 12]
    assert classify_orbits(a, e, i).tolist() == [
        "Atira",
        "Aten",
        "Apollo",
        "Amor",
        "Object with q<1.665",
        "Hungaria",
        "Phocaea",
        "Hilda",
        "Jupiter Trojan",
        "Distant object",
        "MBA",
    ]
    q = QTable({"a": [2.7] * u.AU})
    assert classify_orbits(q["a"], [0.1], [3.0] * u.deg).tolist() == ["MBA"]


def test_comet_els_with_a_parabolic_comet_goes_through_the_ephemeris(tmp_path):
    """Masked a, M (parabolic rows) fall back to the cometary q, e, tp for every row."""
    from astro_sso.ephemeris import ephemeris

    path = tmp_path / "CometEls.txt"
    path.write_text("\n".join([HALE_BOPP, HYPERBOLIC.replace("3.356000", "1.000000")]) + "\n")
    c = read_comet_els(path)
    eph = ephemeris(c, Time("2019-12-01", scale="utc"), method="twobody")
    assert np.isfinite(eph["ra"].value).all() and len(eph) == 2
    # the parabolic comet is 12 days from perihelion, near q = 2.0065 AU from the Sun
    assert eph["r"][1].to_value(u.AU) == pytest.approx(2.0065, rel=0.01)
