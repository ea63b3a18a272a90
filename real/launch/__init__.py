"""Run ROS 2 YAML launch files without ``ros2 launch`` (see :mod:`.description` for the subset)."""
from .description import LaunchDescription, LaunchFileError, NodeSpec, ParamFile, load_launch_file
from .runner import run_launch_file

__all__ = ["LaunchDescription", "LaunchFileError", "NodeSpec", "ParamFile", "load_launch_file", "run_launch_file"]
