"""Shared machinery for all tasks: configs, run directories, checkpoints, benchmarks, export."""
