"""Run ROS 2 YAML launch files without ``ros2 launch`` (see :mod:`.description` for the subset).

:mod:`.colcon` builds the package with colcon and runs the real ``ros2 launch`` (tests, benches);
:mod:`.bench` measures node latency under both runners (``greenroom bench``).
"""
from .description import load_launch_file
from .specs import LaunchDescription, LaunchFileError, NodeSpec, ParamFile
from .runner import run_launch_file

__all__ = ["LaunchDescription", "LaunchFileError", "NodeSpec", "ParamFile", "load_launch_file", "run_launch_file"]
