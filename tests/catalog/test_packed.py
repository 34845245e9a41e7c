"""Packed designations and dates: the examples of the MPC's documentation."""

import numpy as np
import pytest
from astropy.time import Time

from astro_sso.catalog import (
    calendar_to_jd,
    pack_designation,
    pack_epoch,
    pack_number,
    unpack_designation,
    unpack_epoch,
    unpack_number,
)
from astro_sso.exceptions import InputError

# MPC, "Packed Provisional and Permanent Designations" and "Provisional Designations"
PROVISIONAL = {
    "J95X00A": "1995 XA",
    "J95X01L": "1995 XL1",
    "J95F13B": "1995 FB13",
    "J98SA8Q": "1998 SQ108",
    "J98SC7V": "1998 SV127",
    "J98SG2S": "1998 SS162",
    "K99AJ3Z": "2099 AZ193",
    "K08Aa0A": "2008 AA360",
    "K07Tf8A": "2007 TA418",
    "PLS2040": "2040 P-L",
    "T1S3138": "3138 T-1",
    "T2S1010": "1010 T-2",
    "T3S4101": "4101 T-3",
    # extended scheme (cycle >= 620)
    "K26Cz9Z": "2026 CZ619",
    "_QC0000": "2026 CA620",
    "_QC0aEM": "2026 CZ6190",
    "_QCzzzz": "2026 CL591673",
    "_PD0000": "2025 DA620",
    "_QD000N": "2026 DY620",
    # pre-1925 designations use the 'A' prefix
    "I99O00F": "A899 OF",
}
NUMBERS = {
    "00001": 1,
    "03202": 3202,
    "50000": 50000,
    "A0345": 100345,
    "a0017": 360017,
    "K3289": 203289,
    "~0000": 620000,
    "~000z": 620061,
    "~AZaz": 3140113,
    "~zzzz": 15396335,
}


@pytest.mark.parametrize(("packed", "readable"), sorted(PROVISIONAL.items()))
def test_provisional_both_ways(packed, readable):
    assert unpack_designation(packed) == readable
    assert pack_designation(readable) == packed


def test_vectorized_provisional_packing_matches_scalar():
    readable = np.array(list(PROVISIONAL.values()))
    assert pack_designation(readable).tolist() == list(PROVISIONAL)
    assert unpack_designation(np.array(list(PROVISIONAL))).tolist() == list(readable)


@pytest.mark.parametrize(("packed", "number"), sorted(NUMBERS.items()))
def test_numbers_both_ways(packed, number):
    assert unpack_number(packed) == number
    assert pack_number(number) == packed
    assert unpack_designation(packed) == str(number)
    assert pack_designation(str(number)) == packed
    assert pack_designation(f"({number})") == packed


def test_numbers_vectorized_and_non_numbers():
    out = unpack_number(["00433", "K07Tf8A", "  ", "~0000", "A0345"])
    assert out.tolist() == [433, -1, -1, 620000, 100345]
    assert pack_number(np.array([433, 620000])).tolist() == ["00433", "~0000"]


@pytest.mark.parametrize("bad", [0, -5, 15396336])
def test_pack_number_out_of_range(bad):
    with pytest.raises(InputError, match="cannot be packed"):
        pack_number(bad)


@pytest.mark.parametrize("bad", ["hello", "1995 XI", "1995 IA", "1995 XA05", "K07Tf8", ""])
def test_bad_designations_raise(bad):
    with pytest.raises(InputError):
        if len(bad) in (5, 7) or not bad:
            unpack_designation(bad)
        else:
            pack_designation(bad)


@pytest.mark.parametrize(
    ("packed", "iso"),
    [
        ("J9611", "1996-01-01"),
        ("J961A", "1996-01-10"),
        ("J969U", "1996-09-30"),
        ("J96A1", "1996-10-01"),
        ("K01AM", "2001-10-22"),
        ("K2555", "2025-05-05"),
        ("K107N", "2010-07-23"),
    ],
)
def test_packed_dates(packed, iso):
    t = unpack_epoch(packed)
    assert t.scale == "tt"
    assert t.iso == f"{iso} 00:00:00.000"
    assert pack_epoch(Time(iso, scale="tt")) == packed


def test_packed_date_fraction_and_vector():
    assert unpack_epoch("J981I73").tt.jd == pytest.approx(Time("1998-01-18", scale="tt").jd + 0.73)
    t = unpack_epoch(["K01AM138303", "K2555"])
    assert t.shape == (2,)
    assert t[0].jd == pytest.approx(Time("2001-10-22", scale="tt").jd + 0.138303, abs=1e-9)


@pytest.mark.parametrize("bad", ["K2X55", "Z2555", "K25D1", "K252U", "K25"])
def test_bad_packed_dates_raise(bad):
    # no century 'Z' (35xx), no month 13 ('D'), no Feb 30 ('2U')
    with pytest.raises(InputError, match="packed date"):
        unpack_epoch(bad)


def test_pack_epoch_needs_whole_days():
    with pytest.raises(InputError, match="0h TT"):
        pack_epoch(Time("2025-05-05T06:00", scale="tt"))


def test_calendar_to_jd_matches_astropy():
    y = np.array([1801, 1900, 2000, 2024, 2100])
    m = np.array([1, 3, 2, 12, 6])
    d = np.array([1, 1, 29, 31, 15])
    ref = Time([f"{a}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d, strict=True)], scale="tt").jd
    np.testing.assert_array_equal(calendar_to_jd(y, m, d), ref)
