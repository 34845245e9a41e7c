"""The offline known-object catalogue: MPC orbit files, a sky index of known
objects answering SkyBoT-style cone searches, and association of detections
with known objects.

Examples
--------
>>> from astro_sso.catalog import unpack_designation
>>> unpack_designation("K07Tf8A")
'2007 TA418'
"""

from .associate import associate
from .comets import read_comet_els
from .known import SKYBOT_COLUMNS, SKYBOT_IGNORED, KnownObjects, from_skybot, posunc_from_U
from .mpcorb import MPCORB_FIELDS, read_mpcorb
from .mpcorb_writer import write_mpcorb
from .orbit_classes import FLAG_KM_NEO, FLAG_NEO, FLAG_PHA, ORBIT_TYPES, classify_orbits
from .packed import (
    calendar_to_jd,
    pack_designation,
    pack_epoch,
    pack_number,
    unpack_designation,
    unpack_epoch,
    unpack_number,
)

__all__ = [
    "associate",
    "KnownObjects",
    "SKYBOT_COLUMNS",
    "SKYBOT_IGNORED",
    "from_skybot",
    "posunc_from_U",
    "read_mpcorb",
    "write_mpcorb",
    "read_comet_els",
    "classify_orbits",
    "ORBIT_TYPES",
    "MPCORB_FIELDS",
    "FLAG_NEO",
    "FLAG_KM_NEO",
    "FLAG_PHA",
    "unpack_designation",
    "pack_designation",
    "unpack_number",
    "pack_number",
    "unpack_epoch",
    "pack_epoch",
    "calendar_to_jd",
]
