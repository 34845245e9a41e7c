"""The core's built-in plugin, registered exactly like an external one.

It provides the general-purpose ``segmentation`` detector (photutils) and the
first step of ``astro-sso demo``: identification of simulated survey
detections with a synthetic catalogue through the ephemeris engine.
"""

from .. import hookimpl

__all__ = ["astro_sso_detectors", "astro_sso_demo_steps"]


@hookimpl
def astro_sso_detectors():
    """Register the photutils segmentation detector."""
    from .segmentation import SegmentationDetector

    return [SegmentationDetector]


@hookimpl
def astro_sso_demo_steps():
    """Register the core's demo step: identify survey detections offline."""
    from ..base import DemoStep
    from .demo_identify import run_identify_step

    return [
        DemoStep(
            name="identify",
            title="Identify survey detections with a known-object catalogue (offline)",
            run=run_identify_step,
            order=0,
        )
    ]
