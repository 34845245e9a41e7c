"""astro_sso.testing: the conformance checks pass on good plugins and catch bad ones."""

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable

from astro_sso.base import Detector, Matcher
from astro_sso.builtin.segmentation import SegmentationDetector
from astro_sso.exceptions import InputError
from astro_sso.tables import empty_table, validate_table
from astro_sso.testing import (
    check_bad_input,
    check_declares_name_and_kind,
    check_documented_parameters,
    check_empty_input,
    check_output,
    check_plugin,
)


def test_builtin_detector_conforms():
    check_plugin(SegmentationDetector)


class GoodMatcher(Matcher):
    """Match every detection with a fixed designation (test).

    Parameters
    ----------
    designation : str
        What to call everything.
    """

    name = "good"

    def __init__(self, *, designation: str = "1"):
        self.designation = designation

    def match(self, table, **kwargs):
        det = validate_table(table, "detections")
        out = QTable()
        out["designation"] = np.full(len(det), self.designation if len(det) else "")
        out["separation"] = np.zeros(len(det)) * u.arcsec
        return self._stamp(out)


def test_good_matcher_conforms():
    check_plugin(GoodMatcher)


def test_missing_name_is_caught():
    class NoName(GoodMatcher):
        """Docstring."""

        name = ""

    with pytest.raises(AssertionError, match="non-empty `name`"):
        check_declares_name_and_kind(NoName)


def test_undocumented_parameter_is_caught():
    class Undoc(GoodMatcher):
        """Match things.

        Parameters
        ----------
        designation : str
            Name.
        """

        name = "undoc"

        def __init__(self, *, designation: str = "1", radius: float = 2.0):
            super().__init__(designation=designation)
            self.radius = radius

    with pytest.raises(AssertionError, match=r"\['radius'\] are not documented"):
        check_documented_parameters(Undoc)


def test_positional_parameter_is_caught():
    class Positional(GoodMatcher):
        """Match things.

        Parameters
        ----------
        designation : str
            Name.
        """

        name = "positional"

        def __init__(self, designation: str = "1"):
            super().__init__(designation=designation)

    with pytest.raises(AssertionError, match="keyword-only"):
        check_documented_parameters(Positional)


def test_wrong_units_and_missing_provenance_are_caught():
    class BadUnits(GoodMatcher):
        """Match things."""

        name = "bad-units"

        def match(self, table, **kwargs):
            out = QTable(
                {"designation": ["1"] * len(table), "separation": np.zeros(len(table)) * u.m}
            )
            return self._stamp(out)

    with pytest.raises(AssertionError, match="'separation' has unit m"):
        check_output(BadUnits)

    class NoProv(GoodMatcher):
        """Match things."""

        name = "no-prov"

        def match(self, table, **kwargs):
            return QTable(
                {"designation": ["1"] * len(table), "separation": np.zeros(len(table)) * u.arcsec}
            )

    with pytest.raises(AssertionError, match="provenance"):
        check_output(NoProv)


def test_untyped_empty_output_is_caught():
    class Untyped(GoodMatcher):
        """Match things."""

        name = "untyped"

        def match(self, table, **kwargs):
            if len(table) == 0:
                return self._stamp(QTable())
            return super().match(table)

    with pytest.raises(AssertionError, match="lacks documented columns"):
        check_empty_input(Untyped)


def test_bad_input_must_raise_an_astro_sso_error():
    class Lenient(GoodMatcher):
        """Match things."""

        name = "lenient"

        def match(self, table, **kwargs):
            return self._stamp(empty_table("matches", ["designation", "separation"]))

    with pytest.raises(AssertionError, match="accepted a malformed input"):
        check_bad_input(Lenient)

    class Crashes(GoodMatcher):
        """Match things."""

        name = "crashes"

        def match(self, table, **kwargs):
            return table["obstime"]

    with pytest.raises(AssertionError, match="raised KeyError"):
        check_bad_input(Crashes)


def test_custom_conformance_inputs_are_used():
    calls = []

    class Custom(Detector):
        """Detect nothing but record the input (test)."""

        name = "custom"

        @classmethod
        def conformance_inputs(cls):
            return {"bad": "not an image"}

        def detect(self, images, **kwargs):
            calls.append(images)
            if isinstance(images, str):
                raise InputError("not an image")
            return self._stamp(empty_table("sources"))

    check_bad_input(Custom)
    assert calls == ["not an image"]
