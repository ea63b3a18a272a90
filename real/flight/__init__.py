"""Flight on ROS 2: the policy node (``flight_policy``), the simulator bridge
(``flight_sim_bridge``) and their benchmarks (``greenroom bench flight --only ros``)."""
