"""Shared pieces of greenroom's ROS 2 nodes: declared/validated parameters, diagnostics,
velocity safety (clamps, watchdog) and the standard ``main()`` spin/shutdown pattern.

Imports rclpy and ROS messages only (no torch, no simulators), so policy nodes can use it.
"""
