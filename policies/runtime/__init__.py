"""greenroom's runtime: run exported ONNX policies with their contracts. No torch, no simulators.

- :mod:`.contract`: :class:`Contract` / :class:`TensorSpec`, load/save, :class:`ContractError`,
  ``contract_sha256`` sealing, :func:`check_number` (range checks), :func:`rehash_contract`
- :mod:`.rehash`: ``python -m greenroom.policies.runtime.rehash FILE`` (re-seal contract files)
- :mod:`.session`: :class:`OnnxSession` (ONNX Runtime, checked against the contract)
- :mod:`.flight`: :class:`FlightRuntimePolicy` (image -> value grid + Twist)
- :mod:`.image`: converting ROS image encodings to the contract's image (flight-ros)

This package is what a robot imports; a test checks that importing it loads neither torch
nor mujoco nor pybullet.
"""
from __future__ import annotations

from .contract import (Contract, ContractError, TensorSpec, check_number, contract_path_for, load_contract_for,
                       rehash_contract)
from .session import InputError, OnnxSession

__all__ = ["Contract", "ContractError", "InputError", "OnnxSession", "TensorSpec", "check_number",
           "contract_path_for", "load_contract_for", "rehash_contract"]
