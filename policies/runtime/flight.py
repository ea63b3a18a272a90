"""Run an exported CAD2RL flight policy: RGB image -> direction values + Twist. No torch.

The ONNX graph (written by ``greenroom export``) takes ``image``: uint8 (batch, H, W, 3) RGB,
and returns ``values``: float32 (batch, rows, cols), the predicted discounted collision-free
return of flying toward each :class:`~greenroom.sim.flight.grid.DirectionGrid` cell (row 0 =
top of the image, column 0 = left); ``index``: int64 (batch,), the argmax cell
(``r * cols + c``); and ``twist``: float32 (batch, 4), the body-frame Twist
``[vx, vy, vz, yaw_rate]`` (m/s, m/s, m/s, rad/s; REP-103, x forward, y left, z up) the
contract's action set (``spec["actions"]``, :class:`~greenroom.sim.flight.actions.ActionSet`)
gives for those values: ``cad2rl`` (the default of contracts without ``actions``) = that
cell's fixed-speed Twist from the table; ``clearance`` = speed from the cell's value, or turn
in place when it is below ``turn_below``. Preprocessing (uint8 -> float, layout), the argmax
and the action set live in the graph.

:class:`FlightRuntimePolicy` validates the model against its contract (hash, tensors) and the
contract's flight spec against the graph (image size, grid shape, twist table), and refuses
a mismatch with a :class:`ContractError` that says what differs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...sim.flight.actions import ActionConfig, ActionSet
from ...sim.flight.grid import DirectionGrid
from .contract import Contract, ContractError, check_number, contract_path_for
from .session import InputError, OnnxSession

TASK = "flight"
INPUT = "image"
OUTPUTS = ("values", "index", "twist")
SPEC_KEYS = ("image_height", "image_width", "encoding", "hfov_deg", "vfov_deg", "grid", "twists", "limits",
             "control_hz")
LIMIT_KEYS = ("vx", "vy", "vz", "yaw_rate")
MAX_CONTROL_HZ = 200.0
"""The command rate a contract may ask for, Hz: (0, 200] (a node's timer runs at this rate)."""
MAX_IMAGE_PX = 2048
MAX_SPEED = 50.0       # m/s, any Twist axis limit
MAX_YAW_RATE = 20.0    # rad/s


@dataclass(frozen=True)
class FlightContract:
    """The flight view of a contract: camera, grid, action mapping, rate and provenance.

    image_height, image_width: px of the RGB input; encoding: "rgb8"; hfov_deg/vfov_deg: camera
    fields of view (deg); grid: ``DirectionGrid.to_dict()``; twists: (rows*cols, 4) Twist per
    cell; limits: {"vx", "vy", "vz", "yaw_rate"} absolute bounds (m/s, rad/s); control_hz:
    command rate (Hz); actions: ``ActionConfig.to_dict()`` or None (``cad2rl``, older contracts).
    """

    image_height: int
    image_width: int
    encoding: str
    hfov_deg: float
    vfov_deg: float
    grid: dict[str, Any]
    twists: list[list[float]]
    limits: dict[str, float]
    control_hz: float
    actions: dict[str, Any] | None
    model_sha256: str
    config_sha256: str
    greenroom_version: str
    base: Contract

    @classmethod
    def from_contract(cls, contract: Contract, where: str) -> FlightContract:
        if contract.task != TASK:
            raise ContractError(f"{where} is for task {contract.task!r}, not {TASK!r}")
        spec = contract.spec
        missing = [k for k in SPEC_KEYS if k not in spec]
        if missing:
            raise ContractError(f"{where}: flight spec is missing {', '.join(missing)}")
        if spec["encoding"] != "rgb8":
            raise ContractError(f"{where}: image encoding {spec['encoding']!r} is not supported (expected 'rgb8')")
        for key in ("image_height", "image_width"):
            check_number(spec, key, where, 1, MAX_IMAGE_PX, integer=True)
        for key in ("hfov_deg", "vfov_deg"):
            check_number(spec, key, where, 0, 179, low_open=True)
        check_number(spec, "control_hz", where, 0, MAX_CONTROL_HZ, low_open=True)
        limits = spec["limits"]
        if not isinstance(limits, dict) or sorted(limits) != sorted(LIMIT_KEYS):
            raise ContractError(f"{where}: spec field 'limits' must map exactly {', '.join(LIMIT_KEYS)} to "
                                f"bounds, got {limits!r}")
        for key in LIMIT_KEYS:
            check_number(limits, key, f"{where} (limits)", 0, MAX_YAW_RATE if key == "yaw_rate" else MAX_SPEED,
                         low_open=True)
        try:
            return cls(int(spec["image_height"]), int(spec["image_width"]), str(spec["encoding"]),
                       float(spec["hfov_deg"]), float(spec["vfov_deg"]), dict(spec["grid"]),
                       [list(map(float, t)) for t in spec["twists"]], {k: float(v) for k, v in spec["limits"].items()},
                       float(spec["control_hz"]), spec.get("actions"), contract.model_sha256, contract.config_sha256,
                       contract.greenroom_version, contract)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ContractError(f"{where}: malformed flight spec ({exc})") from None


class FlightRuntimePolicy:
    """An exported flight policy, checked against its contract, on ONNX Runtime (CPU).

    Args:
        model_path: ``policy.onnx`` from ``greenroom export``.
        contract_path: its contract (default: ``policy.contract.json`` beside the model).
        threads: ONNX Runtime intra-op threads (1 keeps latency predictable on a robot).

    Raises:
        ContractError: missing/corrupt model or contract, or any disagreement between them
            (hash, tensor names/dtypes, image size, grid shape, twist table).
    """

    def __init__(self, model_path: Path | str, contract_path: Path | str | None = None, threads: int = 1) -> None:
        self.model_path = Path(model_path)
        path = Path(contract_path) if contract_path is not None else contract_path_for(self.model_path)
        where = f"contract file {path}"
        self.contract = FlightContract.from_contract(Contract.load(path), where)
        try:
            self.grid = DirectionGrid.from_dict(self.contract.grid)
        except ValueError as exc:
            raise ContractError(f"{where}: bad grid ({exc})") from None
        try:
            self.actions = ActionSet(self.grid, ActionConfig.from_dict(self.contract.actions))
        except (TypeError, ValueError) as exc:
            raise ContractError(f"{where}: bad spec field 'actions' ({exc})") from None
        self._session = OnnxSession(self.model_path, self.contract.base, threads=threads)
        self._check_graph_against_spec(where)
        self.image_shape = (self.contract.image_height, self.contract.image_width, 3)

    def _check_graph_against_spec(self, where: str) -> None:
        names = [t.name for t in self._session.outputs]
        if self._session.inputs[0].name != INPUT or len(self._session.inputs) != 1 or names != list(OUTPUTS):
            raise ContractError(f"model {self.model_path} is not a flight policy graph: inputs "
                                f"{[t.name for t in self._session.inputs]}, outputs {names}; expected "
                                f"['{INPUT}'] and {list(OUTPUTS)}")
        image = self._session.inputs[0]
        hw = image.shape[1:3]
        want_hw = [self.contract.image_height, self.contract.image_width]
        if image.dtype != "uint8" or len(image.shape) != 4 or image.shape[3] != 3 or hw != want_hw:
            raise ContractError(f"wrong image size: model {self.model_path} takes {image.dtype} images of shape "
                                f"{image.shape[1:]} but {where} says {want_hw[0]}x{want_hw[1]}x3 uint8")
        values = self._session.outputs[0].shape[1:]
        if values != [self.grid.rows, self.grid.cols]:
            raise ContractError(f"wrong grid: model {self.model_path} outputs a {'x'.join(map(str, values))} value "
                                f"grid but {where} describes a {self.grid.rows}x{self.grid.cols} DirectionGrid")
        twists = np.asarray(self.contract.twists, dtype=np.float32)
        if twists.shape != (self.grid.size, 4) or not np.allclose(twists, self.grid.twists(), atol=1e-5):
            raise ContractError(f"{where}: the twist table does not match its DirectionGrid {self.grid}; "
                                f"re-export the model")
        # The action set inside the graph must be the contract's: probe the graph with one image.
        out = self._session.run({INPUT: np.zeros((1, *want_hw, 3), np.uint8)})
        index, expected = self.actions.act(out["values"][0])
        if int(out["index"][0]) != index or not np.allclose(out["twist"][0], expected, atol=1e-5):
            raise ContractError(f"model {self.model_path} maps its values to cell {int(out['index'][0])}, Twist "
                                f"{out['twist'][0].tolist()}; {where}'s action set ({self.actions.config.mode}) "
                                f"says cell {index}, Twist {expected.tolist()}")
        bounds = np.array([self.contract.limits[k] for k in LIMIT_KEYS], np.float32)
        needed = np.array(self.actions.limits_needed(), np.float32)
        over = np.flatnonzero(needed > bounds + 1e-5)
        if len(over):
            axis = int(over[0])
            raise ContractError(f"{where}: the action set commands {LIMIT_KEYS[axis]} up to {needed[axis]:g}, beyond "
                                f"its limits.{LIMIT_KEYS[axis]} {bounds[axis]:g}: the node would clip the policy's "
                                f"commands; limits must cover the action set")
        self.contract.base.verify_seal(where)  # last: the checks above name the field that is wrong

    def act(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One RGB frame -> (values (rows, cols) float32, Twist (4,) float32 [vx, vy, vz, yaw_rate]).

        ``image``: uint8 (H, W, 3) RGB at the contract size (convert camera messages with
        :func:`greenroom.policies.runtime.image.to_rgb_contract`). Raises :class:`InputError`
        (a ValueError) for anything else.
        """
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape != self.image_shape:
            got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
            raise InputError(f"flight policy needs a uint8 RGB image of shape {self.image_shape} "
                             f"(contract {self.contract.image_height}x{self.contract.image_width} rgb8), got {got}")
        out = self._session.run({INPUT: np.ascontiguousarray(image)[None]}, check=False)
        return out["values"][0], out["twist"][0]

    def act_batch(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, H, W, 3) uint8 -> (values (N, rows, cols) float32, twists (N, 4) float32)."""
        out = self._session.run({INPUT: np.ascontiguousarray(images)})
        return out["values"], out["twist"]

    def values(self, image: np.ndarray) -> np.ndarray:
        """Value grid only (rows, cols)."""
        return self.act(image)[0]
