"""greenroom.policies: networks, trainers, evaluation, export and the torch-free ONNX runtime.

- :mod:`greenroom.policies.runtime`: ONNX inference, contracts, pre/post-processing. Imports
  neither torch nor any simulator: this is all a robot needs.
- :mod:`greenroom.policies.common`: configs, run directories, checkpoints, benchmarks, export.
- one folder per task (``flight``, ``pushgrasp``, ``finray``): network, trainer, evaluation.
"""
