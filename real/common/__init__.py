"""Shared pieces of greenroom's ROS 2 nodes: declared/validated parameters (:mod:`.params`),
camera subscriptions with QoS and loss accounting (:mod:`.camera`), diagnostics, velocity safety
(clamps, watchdog), the standard ``main()`` spin/shutdown pattern (:mod:`.spin`), shipped files
(:mod:`.share`), and test/benchmark plumbing (:mod:`.procs`, :mod:`.camera_publisher`).

Imports rclpy and ROS messages only (no torch, no simulators), so policy nodes can use it.
"""
