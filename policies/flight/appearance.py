"""The held-out appearance set: textures training never sees.

Training renders the simulator's procedural texture families (and the user's photos when
``env.textures_dir`` is set). Evaluation adds a second world set whose every surface wears an
image from a disjoint set: the photographs shipped in matplotlib's sample data
(``grace_hopper.jpg``, ``Minduka_Present_Blue_Pack.png``, ``logo2.png``) and colour-mapped
shaded-relief renderings of its elevation rasters (``jacksboro_fault_dem.npz``,
``topobathy.npz``) and MRI slice (``s1045.ima.gz``). They are written once as PNGs into a folder
that becomes ``env.textures_dir`` with ``photo_fraction`` fixed to 1 and ``photo_set`` to
``none`` (a run trained with built-in photos is still evaluated on held-out images only).

A third set, for choices made before the held-out sets are looked at (the turn threshold, mirror
averaging): ``eval.appearance_textures=validation`` dresses every surface in scikit-image's natural
photographs (the ``skimage`` photo set of :mod:`greenroom.sim.flight.textures`), disjoint from the
training families and from the held-out images. A run trained with ``env.photo_set=skimage`` has
seen them, so for it this set is not unseen (:func:`validation_set_seen` says so).
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ...sim.flight.config import FlightEnvConfig
from ..common.config import apply_overrides

PHOTOS = ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png")
RASTERS = (("jacksboro_fault_dem.npz", "elevation"), ("topobathy.npz", "topo"))
COLORMAPS = ("terrain", "gist_earth", "copper", "twilight", "cividis")


def _sample_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data"


def _shaded(raster: np.ndarray, cmap: str) -> np.ndarray:
    from matplotlib import colormaps
    from matplotlib.colors import LightSource

    raster = np.asarray(raster, dtype=np.float64)
    light = LightSource(azdeg=315, altdeg=45)
    rgb = light.shade(raster, cmap=colormaps[cmap], blend_mode="soft", vert_exag=0.05)
    return (np.clip(rgb[..., :3], 0, 1) * 255).astype(np.uint8)


def write_heldout_textures(folder: Path) -> Path:
    """Write the held-out texture images (PNG) into ``folder`` (once; returns the folder)."""
    from PIL import Image

    folder = Path(folder)
    marker = folder / ".complete"
    if marker.is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    source = _sample_dir()
    for name in PHOTOS:
        if (source / name).is_file():
            with Image.open(source / name) as image:
                image.convert("RGB").save(folder / f"photo-{Path(name).stem}.png")
    rasters = []
    for file, key in RASTERS:
        if (source / file).is_file():
            with np.load(source / file) as data:
                rasters.append((Path(file).stem, np.asarray(data[key])))
    mri = source / "s1045.ima.gz"
    if mri.is_file():
        with gzip.open(mri) as handle:
            rasters.append(("mri", np.frombuffer(handle.read(), np.uint16).reshape(256, 256).astype(np.float64)))
    for i, (stem, raster) in enumerate(rasters):
        for j, cmap in enumerate(COLORMAPS):
            if (i + j) % 2 == 0:  # a spread of raster x colormap pairs, not all of them
                Image.fromarray(_shaded(raster, cmap)).save(folder / f"{stem}-{cmap}.png")
    if not any(folder.glob("*.png")):
        raise FileNotFoundError(f"matplotlib sample data not found in {source}: cannot build the held-out "
                                f"appearance set; set eval.appearance_textures to a folder of images")
    marker.write_text("ok\n")
    return folder


def write_validation_textures(folder: Path) -> Path:
    """Copy scikit-image's natural photographs (the ``skimage`` photo set) into ``folder`` (once)."""
    import shutil

    from ...sim.flight.textures import photo_set_files

    folder = Path(folder)
    marker = folder / ".complete"
    if marker.is_file():
        return folder
    files = photo_set_files("skimage")   # TextureError naming scikit-image when it is not installed
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copyfile(file, folder / file.name)
    marker.write_text("ok\n")
    return folder


def validation_set_seen(env: FlightEnvConfig) -> bool:
    """Whether a run trained with ``env`` has seen the validation appearance set's photographs."""
    return env.photo_set == "skimage"


def heldout_env_config(env: FlightEnvConfig, textures: str, overrides: tuple[str, ...], cache: Path) -> FlightEnvConfig:
    """``env`` with every surface textured from ``textures`` (and extra overrides applied).

    ``textures``: ``heldout`` (the held-out appearance set, written into ``cache``), ``validation``
    (scikit-image's photographs, written into ``cache``'s sibling ``validation-textures``) or a
    folder of images.
    """
    if textures == "heldout":
        folder = write_heldout_textures(cache)
    elif textures == "validation":
        folder = write_validation_textures(Path(cache).parent / "validation-textures")
    else:
        folder = Path(textures)
    if not folder.is_dir():
        raise FileNotFoundError(f"eval.appearance_textures folder {folder} does not exist")
    items = [f"textures_dir={folder}", "photo_set=none", "randomization.textures.photo_fraction.low=1.0",
             "randomization.textures.photo_fraction.high=1.0", "randomization.textures.photo_fraction.nominal=1.0",
             *overrides]
    return apply_overrides(env, items)
