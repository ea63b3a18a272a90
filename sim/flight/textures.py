"""Texture bank for the flight worlds: procedural families in numpy plus the user's photos.

Every texture is a square RGB uint8 image of ``size x size`` px. Procedural families (CAD2RL
randomizes textures heavily, so variety matters more than realism): ``checker``, ``stripes``,
``gradient``, ``noise`` (multi-octave value noise), ``bricks``, ``dots``, ``wood`` and ``flat``
(:data:`LEGACY_FAMILIES`: two colours each), and two with the statistics of natural images
(many colours, edges at every scale and orientation, a power spectrum falling as 1/f^2; Baradad
et al., "Learning to See by Looking at Noise", NeurIPS 2021): ``dead_leaves`` (overlapping discs
and squares with power-law sizes) and ``spectral`` (1/f^beta noise through a random colour ramp).
Which families a bank draws from is ``randomization.textures.families``.
User images come from a folder (``FlightEnvConfig.textures_dir``), are loaded once with Pillow,
converted to RGB and resized; a missing folder, an empty folder or an unreadable image raises
:class:`TextureError` naming the path. Images are size-checked from their header before any
pixel is decoded: more than :data:`MAX_TEXTURE_PIXELS` pixels, a file over
:data:`MAX_TEXTURE_BYTES`, or Pillow's decompression-bomb warning is an error, so a small
crafted file cannot make a worker allocate gigabytes.
A built-in photo set (``FlightEnvConfig.photo_set``) adds photographs without a folder:
``skimage`` is the natural images shipped inside the scikit-image wheel (:data:`PHOTO_SETS`:
people, animals, food, a rocket, a motorcycle, brick, grass, gravel, text, the moon, microscopy
and telescope images). They are disjoint from the held-out appearance set, which is built from
matplotlib's sample data (:mod:`greenroom.policies.flight.appearance`).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MAX_TEXTURE_PIXELS = 4096 * 4096   # a texture is resized to texture_size (<= 1024 px); 16 Mpx is plenty
MAX_TEXTURE_BYTES = 64 * 1024 * 1024
MAX_TEXTURE_FILES = 1000


# Natural photographs in scikit-image's ``skimage/data`` (shipped in its wheel, no download);
# synthetic ones (chessboards, a phantom, logos, a colour chart) and the second stereo view are left out.
PHOTO_SETS: dict[str, tuple[str, ...]] = {
    "none": (),
    "skimage": ("astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png",
                "coffee.png", "coins.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png",
                "moon.png", "motorcycle_left.png", "page.png", "retina.jpg", "rocket.jpg", "text.png"),
}


class TextureError(ValueError):
    """A texture folder or image given by the user cannot be used; the message names the path."""


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) coordinates in [0, 1) of a size x size image."""
    coords = np.arange(size, dtype=np.float32) / size
    return np.meshgrid(coords, coords, indexing="ij")


def _palette(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random colours (n, 3) in [0, 1]."""
    return rng.uniform(0.0, 1.0, (n, 3)).astype(np.float32)


def _mix(mask: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Blend two colours by a (H, W) mask in [0, 1] -> (H, W, 3)."""
    m = mask[..., None]
    return colors[0] * (1.0 - m) + colors[1] * m


def checker(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = _grid(size)
    n = int(rng.choice([2, 4, 8]))
    return _mix(((np.floor(x * n) + np.floor(y * n)) % 2).astype(np.float32), _palette(rng, 2))


def stripes(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = _grid(size)
    n = int(rng.integers(2, 9))
    if rng.random() < 0.5:  # horizontal or vertical keeps the texture tileable
        x, y = y, x
    soft = rng.random() < 0.5
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * n * x)
    return _mix(wave if soft else (wave > 0.5).astype(np.float32), _palette(rng, 2))


def gradient(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = _grid(size)
    t = 0.5 - 0.5 * np.cos(2 * np.pi * (x if rng.random() < 0.5 else y))  # tileable ramp
    return _mix(t.astype(np.float32), _palette(rng, 2))


def value_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    out = np.zeros((size, size), np.float32)
    amplitude, total = 1.0, 0.0
    for cells in (4, 8, 16):
        cells = min(cells, size)
        coarse = rng.random((cells, cells)).astype(np.float32)
        reps = -(-size // cells)
        out += amplitude * np.kron(coarse, np.ones((reps, reps), np.float32))[:size, :size]
        total += amplitude
        amplitude *= 0.5
    return _mix(out / total, _palette(rng, 2))


def bricks(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = _grid(size)
    rows = int(rng.choice([4, 8]))
    row = np.floor(y * rows)
    xs = (x * rows / 2 + 0.5 * (row % 2)) % 1.0
    ys = (y * rows) % 1.0
    mortar = ((xs < 0.06) | (ys < 0.1)).astype(np.float32)
    colors = _palette(rng, 2)
    base = colors[0] * (0.85 + 0.15 * rng.random((size, size, 1)).astype(np.float32))
    return base * (1 - mortar[..., None]) + colors[1] * mortar[..., None]


def dots(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = _grid(size)
    n = int(rng.choice([2, 4, 8]))
    d = np.hypot((x * n) % 1.0 - 0.5, (y * n) % 1.0 - 0.5)
    return _mix((d < rng.uniform(0.15, 0.45)).astype(np.float32), _palette(rng, 2))


def wood(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = _grid(size)
    k = int(rng.integers(1, 4))
    warp = 0.08 * np.sin(2 * np.pi * k * y + rng.uniform(0, 2 * np.pi))
    rings = 0.5 + 0.5 * np.sin(2 * np.pi * int(rng.integers(4, 12)) * (x + warp))
    return _mix(rings.astype(np.float32) ** 2, _palette(rng, 2))


def flat(rng: np.random.Generator, size: int) -> np.ndarray:
    color = _palette(rng, 1)[0]
    return np.broadcast_to(color, (size, size, 3)) * (0.95 + 0.05 * rng.random((size, size, 1)))


def _ramp(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Map ``t`` in [0, 1] (H, W) through a random ramp of 3-5 colour stops -> (H, W, 3)."""
    stops = int(rng.integers(3, 6))
    colors = _palette(rng, stops)
    where = np.sort(np.concatenate([[0.0, 1.0], rng.uniform(0.0, 1.0, stops - 2)]))
    return np.stack([np.interp(t, where, colors[:, c]) for c in range(3)], axis=-1).astype(np.float32)


def _torus_offsets(coords: np.ndarray, centre: float) -> np.ndarray:
    """Distance along one axis on the unit torus (keeps the texture tileable)."""
    d = np.abs(coords - centre)
    return np.minimum(d, 1.0 - d)


def dead_leaves(rng: np.random.Generator, size: int) -> np.ndarray:
    """Discs and squares dropped on top of each other, radius density ~ r^-3 in [0.02, 0.35]."""
    y, x = _grid(size)
    palette = _palette(rng, int(rng.integers(3, 7)))
    image = np.empty((size, size, 3), np.float32)
    image[:] = palette[int(rng.integers(len(palette)))]
    low, high = 0.02 ** -2, 0.35 ** -2
    for _ in range(int(rng.integers(60, 160))):
        radius = float((low - rng.random() * (low - high)) ** -0.5)   # inverse CDF of r^-3
        cy, cx = rng.random(2)
        dy, dx = _torus_offsets(y, cy), _torus_offsets(x, cx)
        inside = np.hypot(dx, dy) < radius if rng.random() < 0.5 else np.maximum(dx, dy) < radius
        jitter = rng.uniform(-0.1, 0.1, 3).astype(np.float32)
        image[inside] = np.clip(palette[int(rng.integers(len(palette)))] + jitter, 0.0, 1.0)
    return image


def spectral(rng: np.random.Generator, size: int) -> np.ndarray:
    """Gaussian noise with amplitude ~ 1/f^beta (beta in [0.8, 1.6]), rank-normalised, coloured by a ramp."""
    fy, fx = np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij")
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    amplitude = f ** -rng.uniform(0.8, 1.6)
    amplitude[0, 0] = 0.0
    field = np.fft.ifft2(amplitude * np.fft.fft2(rng.standard_normal((size, size)))).real   # periodic: tileable
    ranks = np.argsort(np.argsort(field, axis=None)).reshape(size, size)
    return _ramp(rng, ranks.astype(np.float32) / max(size * size - 1, 1))


FAMILIES: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "checker": checker, "stripes": stripes, "gradient": gradient, "noise": value_noise,
    "bricks": bricks, "dots": dots, "wood": wood, "flat": flat,
    "dead_leaves": dead_leaves, "spectral": spectral,
}
LEGACY_FAMILIES = ("checker", "stripes", "gradient", "noise", "bricks", "dots", "wood", "flat")


def procedural(family: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """One (size, size, 3) uint8 texture of the named family."""
    if family not in FAMILIES:
        raise ValueError(f"unknown texture family {family!r}; valid: {', '.join(FAMILIES)}")
    image = FAMILIES[family](rng, size)
    return np.clip(np.asarray(image) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def load_photos(folder: str | Path, size: int) -> list[np.ndarray]:
    """Every image in ``folder`` as (size, size, 3) uint8 RGB (centre-cropped square, resized).

    Raises TextureError when the folder is missing, holds no image, or an image cannot be read.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(folder).expanduser()
    if not path.is_dir():
        raise TextureError(f"textures_dir {path} does not exist or is not a folder")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise TextureError(f"textures_dir {path} contains no images (looked for {', '.join(IMAGE_SUFFIXES)})")
    if len(files) > MAX_TEXTURE_FILES:
        raise TextureError(f"textures_dir {path} holds {len(files)} images; at most {MAX_TEXTURE_FILES} are used")
    return [_square(_read_rgb(file, Image, UnidentifiedImageError), size, Image) for file in files]


def photo_set_files(name: str) -> list[Path]:
    """The image files of the built-in photo set ``name`` (:data:`PHOTO_SETS`), in order.

    Raises TextureError for an unknown name, or when the set's package is not installed.
    """
    check_photo_set(name)
    if not PHOTO_SETS[name]:
        return []
    import importlib.resources

    try:
        folder = Path(str(importlib.resources.files("skimage") / "data"))
    except ModuleNotFoundError:
        raise TextureError(f"photo_set {name!r} needs scikit-image (pip install scikit-image)") from None
    return [folder / file for file in PHOTO_SETS[name]]


def load_photo_set(name: str, size: int) -> list[np.ndarray]:
    """The built-in photo set ``name`` (:data:`PHOTO_SETS`) as (size, size, 3) uint8 RGB images.

    Raises TextureError for an unknown name, or when the set's package is not installed.
    """
    from PIL import Image, UnidentifiedImageError

    return [_square(_read_rgb(file, Image, UnidentifiedImageError), size, Image) for file in photo_set_files(name)]


def check_photo_set(name: str) -> None:
    """TextureError (a ValueError) naming the valid built-in photo sets unless ``name`` is one."""
    if name not in PHOTO_SETS:
        raise TextureError(f"photo_set must be one of {', '.join(PHOTO_SETS)}; got {name!r}")


def _square(rgb: Any, size: int, Image: Any) -> np.ndarray:
    """A Pillow RGB image centre-cropped to a square and resized to (size, size, 3) uint8."""
    side = min(rgb.size)
    left, top = (rgb.width - side) // 2, (rgb.height - side) // 2
    rgb = rgb.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.uint8).copy()


def _read_rgb(file: Path, Image: Any, UnidentifiedImageError: type) -> Any:
    """One user image as a Pillow RGB image, size-checked before decoding (TextureError otherwise)."""
    import warnings

    try:
        size = file.stat().st_size
        if size > MAX_TEXTURE_BYTES:
            raise TextureError(f"texture image {file} is {size / 2**20:.0f} MiB; at most "
                               f"{MAX_TEXTURE_BYTES // 2**20} MiB per image")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:  # reads the header only
                width, height = image.size
                if width * height > MAX_TEXTURE_PIXELS or min(width, height) < 1:
                    raise TextureError(f"texture image {file} is {width}x{height} px; textures must have 1 to "
                                       f"{MAX_TEXTURE_PIXELS} pixels (e.g. 4096x4096): downscale it")
                return image.convert("RGB")
    except TextureError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise TextureError(f"texture image {file} is a decompression bomb ({exc})") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError) as exc:
        raise TextureError(f"texture image {file} cannot be read: {exc}") from None


def check_families(families: tuple[str, ...] | list[str]) -> None:
    """ValueError naming the valid families unless ``families`` is a non-empty list of known ones."""
    unknown = [f for f in families if f not in FAMILIES]
    if not families or unknown:
        raise ValueError(f"texture families must be a non-empty list of {', '.join(FAMILIES)}; "
                         f"got {list(families)}")


def make_bank(rng: np.random.Generator, count: int, size: int, photos: list[np.ndarray],
              photo_fraction: float, families: tuple[str, ...] | list[str] = LEGACY_FAMILIES,
              ) -> tuple[list[np.ndarray], list[str]]:
    """``count`` textures: about ``photo_fraction`` of them photos (when any), the rest procedural.

    Returns the images and their family names ("photo:<index>" for photos). Procedural textures
    cycle through ``families`` from a random offset, so a bank of >= len(families) textures holds
    every family.
    """
    check_families(families)
    n_photos = int(round(photo_fraction * count)) if photos else 0
    images: list[np.ndarray] = []
    names: list[str] = []
    families = list(families)
    offset = int(rng.integers(len(families)))
    for i in range(count):
        if i < n_photos:
            k = int(rng.integers(len(photos)))
            image = photos[k]
            if rng.random() < 0.5:
                image = image[:, ::-1]
            images.append(np.ascontiguousarray(image))
            names.append(f"photo:{k}")
        else:
            family = families[(offset + i) % len(families)]
            images.append(procedural(family, rng, size))
            names.append(family)
    return images, names
