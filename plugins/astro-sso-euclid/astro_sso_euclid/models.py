"""Keras networks for the Euclid SSO classifier (Lieu et al. 2019, sec. 3.3-3.5, 4.6).

Two families, each ending in the paper's new top (global average pooling,
dropout 0.2, softmax):

``"compact"``
    A small convolutional network sized for a 2-core CPU (four 3x3 convolution
    blocks of 16-96 filters with batch normalisation, global average and max
    pooling): the shipped default. About 80 000 weights; its receptive field
    is 38 input pixels.
``"compact-deep"``
    The same with a fifth block of 128 filters after a fourth pooling: a
    receptive field of 78 input pixels, for inputs larger than 64 px in which
    a long trail spans more than 38 pixels. About 190 000 weights.
``"mobilenet"``
    ``keras.applications.MobileNet`` (any ``alpha`` and input size >= 32), the
    paper's best architecture, in the paper's three settings: ``"transfer"``
    (ImageNet weights, frozen base, only the top trained), ``"scratch"``
    (random weights, everything trained) and ``"random-frozen"`` (random
    weights, frozen base: the baseline that shows what the pre-training brings).

Inputs: cutouts in units of the background sigma go through
`prepare_inputs` (``asinh(x) / 3``), which the classifier applies for you.
One dither is one channel; MobileNet needs three, so one channel is repeated
three times, three dithers are used as they are, and four dithers go through a
learned 3x3 convolution adapter (four channels to three), as in sec. 4.6. The
compact network takes one or three channels directly and four through the
same adapter.

TensorFlow is imported inside these functions only, never when
``astro_sso_euclid`` is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from astro_sso.exceptions import InputError

# Examples that run a network skip where TensorFlow is not installed.
__doctest_requires__ = {
    (
        "import_keras",
        "build_model",
    ): ["tensorflow"]
}
__all__ = [
    "ARCHITECTURES",
    "MOBILENET_MODES",
    "prepare_inputs",
    "build_model",
    "imagenet_weights_path",
    "import_keras",
]

ARCHITECTURES = ("compact", "compact-deep", "mobilenet")
MOBILENET_MODES = ("transfer", "scratch", "random-frozen")
_IMAGENET_SIZES = (128, 160, 192, 224)
_IMAGENET_ALPHAS = (0.25, 0.5, 0.75, 1.0)
_TF_HINT = (
    "TensorFlow is needed for the euclid-cnn classifier: "
    'pip install "astro-sso-euclid[cpu]" (CPU) or "astro-sso-euclid[gpu]" (NVIDIA GPU)'
)


def import_keras():
    """Import Keras 3 on the TensorFlow backend, with a clear error when it is missing.

    Returns
    -------
    module
        ``keras``.

    Examples
    --------
    >>> from astro_sso_euclid.models import import_keras
    >>> import_keras().backend.backend()
    'tensorflow'
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(_TF_HINT) from exc
    try:
        import tensorflow  # noqa: F401
    except ImportError as exc:  # pragma: no cover
        raise ImportError(_TF_HINT) from exc
    return keras


def prepare_inputs(cutouts) -> np.ndarray:
    """Scale cutouts (background-sigma units) for the networks: ``asinh(x) / 3``, float32.

    The asinh stretch keeps the noise (``|x| ~ 1``) nearly linear and compresses
    bright stars (x ~ 1e4 becomes ~3.3), so that one network sees faint trails
    and bright sources on the same scale.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.models import prepare_inputs
    >>> [round(float(v), 3) for v in prepare_inputs(np.array([0.0, 1.0, 1e4]))]
    [0.0, 0.294, 3.301]
    """
    x = np.asarray(cutouts, dtype=np.float32)
    if not np.isfinite(x).all():
        raise InputError("cutouts hold NaN or infinite values: replace them (e.g. by 0)")
    return (np.arcsinh(x) / 3.0).astype(np.float32)


def imagenet_weights_path(alpha: float = 1.0, input_size: int = 224) -> Path:
    """Where Keras keeps MobileNet's ImageNet weights (no top) for ``alpha`` and size.

    Keras downloads them there on a connected machine the first time
    ``weights="imagenet"`` is used; copy the file there (or pass its path as
    ``weights``) on an offline one.

    Examples
    --------
    >>> from astro_sso_euclid.models import imagenet_weights_path
    >>> imagenet_weights_path(0.25, 128).name
    'mobilenet_2_5_128_tf_no_top.h5'
    """
    alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}[float(alpha)]
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "models" / f"mobilenet_{alpha_text}_{int(input_size)}_tf_no_top.h5"


def _resolve_weights(weights, alpha, input_size):
    """None, or a local file of ImageNet weights; clear errors otherwise."""
    if weights is None:
        return None
    if str(weights) != "imagenet":
        path = Path(weights).expanduser()
        if not path.is_file():
            raise InputError(
                f"weights={str(weights)!r}: no such file; give the path of a Keras MobileNet "
                "weights file (e.g. mobilenet_1_0_224_tf_no_top.h5) or weights='imagenet'"
            )
        return str(path)
    if float(alpha) not in _IMAGENET_ALPHAS or int(input_size) not in _IMAGENET_SIZES:
        raise InputError(
            f"ImageNet weights exist for alpha in {_IMAGENET_ALPHAS} and input sizes "
            f"{_IMAGENET_SIZES} only (got alpha={alpha}, input_size={input_size}): choose one "
            "of them, or mode='scratch'"
        )
    cached = imagenet_weights_path(alpha, input_size)
    if cached.is_file():
        return str(cached)
    if os.environ.get("ASTRO_SSO_OFFLINE", "1") != "0":
        raise InputError(
            f"MobileNet ImageNet weights (alpha={alpha}, {input_size} px) are not on this "
            f"machine ({cached} is missing) and astro-sso does not download at run time. "
            'Either copy the file there (on a connected machine: python -c "import keras; '
            f"keras.applications.MobileNet(alpha={alpha}, input_shape=({input_size}, "
            f"{input_size}, 3), include_top=False, weights='imagenet')\"), pass "
            "weights='/path/to/mobilenet_..._tf_no_top.h5', or set ASTRO_SSO_OFFLINE=0 to "
            "let Keras download it; mode='scratch' needs no weights"
        )
    return "imagenet"


def _conv_block(keras, x, filters, name, pool=True):
    layers = keras.layers
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    if pool:
        x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    return x


def build_model(
    n_classes: int,
    *,
    channels: int = 1,
    input_size: int = 64,
    architecture: str = "compact",
    alpha: float = 1.0,
    mode: str = "scratch",
    weights=None,
    seed: int = 0,
):
    """Build an (untrained) classifier network.

    Parameters
    ----------
    n_classes : int
        Outputs of the softmax top.
    channels : int
        Dithers per cutout: 1, 3 or 4.
    input_size : int
        Side of the square input [px] (>= 32 for MobileNet).
    architecture : str
        ``"compact"``, ``"compact-deep"`` or ``"mobilenet"``.
    alpha : float
        MobileNet width multiplier.
    mode : str
        MobileNet setting: ``"transfer"``, ``"scratch"`` or ``"random-frozen"``
        (ignored by the compact networks).
    weights : str or path, optional
        For ``mode="transfer"``: ``"imagenet"`` (the Keras cache; see
        `imagenet_weights_path`) or a weights file. Default ``"imagenet"``.
    seed : int
        Seed of the random initial weights.

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> from astro_sso_euclid.models import build_model
    >>> net = build_model(2, channels=3, input_size=32)
    >>> net.input_shape, net.output_shape
    ((None, 32, 32, 3), (None, 2))
    """
    keras = import_keras()
    if architecture not in ARCHITECTURES:
        raise InputError(f"architecture={architecture!r}: give one of {ARCHITECTURES}")
    if channels not in (1, 3, 4):
        raise InputError(f"channels={channels}: give 1, 3 or 4")
    if int(n_classes) < 2:
        raise InputError(f"n_classes={n_classes}: a classifier needs at least 2 classes")
    keras.utils.set_random_seed(int(seed))
    layers = keras.layers
    inputs = keras.Input((int(input_size), int(input_size), int(channels)), name="cutout")
    x = inputs
    if channels == 4:
        x = layers.Conv2D(3, 3, padding="same", name="dither_adapter")(x)
    if architecture in ("compact", "compact-deep"):
        deep = architecture == "compact-deep"
        x = _conv_block(keras, x, 16, "block1")
        x = _conv_block(keras, x, 32, "block2")
        x = _conv_block(keras, x, 64, "block3")
        x = _conv_block(keras, x, 96, "block4", pool=deep)
        if deep:
            x = _conv_block(keras, x, 128, "block5", pool=False)
        x = layers.Concatenate(name="pool")(
            [layers.GlobalAveragePooling2D()(x), layers.GlobalMaxPooling2D()(x)]
        )
        name = "compact_deep_cnn" if deep else "compact_cnn"
    else:
        if mode not in MOBILENET_MODES:
            raise InputError(f"mode={mode!r}: give one of {MOBILENET_MODES}")
        if int(input_size) < 32:
            raise InputError(f"input_size={input_size}: MobileNet needs at least 32 px")
        if channels == 1:
            x = layers.Concatenate(name="grey_to_rgb")([x, x, x])
        w = (
            _resolve_weights(weights or "imagenet", alpha, input_size)
            if mode == "transfer"
            else None
        )
        base = keras.applications.MobileNet(
            input_shape=(int(input_size), int(input_size), 3),
            alpha=float(alpha),
            include_top=False,
            weights=w,
            pooling=None,
        )
        base.trainable = mode == "scratch"
        x = base(x, training=mode == "scratch")
        x = layers.GlobalAveragePooling2D(name="pool")(x)
        name = f"mobilenet_{mode}"
    x = layers.Dropout(0.2, name="dropout")(x)
    outputs = layers.Dense(int(n_classes), activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)
