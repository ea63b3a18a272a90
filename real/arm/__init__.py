"""greenroom.real.arm: ROS 2 nodes that run an exported VPG push-grasp policy on an arm.

- ``arm_policy`` (:mod:`.policy_node`): RGB-D + camera_info -> heightmap -> ONNX -> primitive
  waypoints (geometry_msgs/PoseArray, base frame), never outside the workspace box plus margin.
- ``arm_executor`` (:mod:`.executor_node`): waypoints -> joint trajectories by IK on the arm URDF
  (ikpy), published to a ros2_control joint trajectory controller; gripper commands; reports
  ``motion_done``.
- ``arm_sim_bridge`` (:mod:`.sim_bridge`): the pybullet scene behind the same topics as the
  hardware (camera streams, joint_states, trajectory and gripper controllers).

Only the sim bridge imports greenroom.sim's simulator; the policy and executor nodes import no
torch, pybullet or mujoco (tests check ``sys.modules``).
"""
