"""VPG push-grasp policies: FCN Q-learning over rotated heightmaps (training needs torch).

``runtime`` is torch-free (ONNX Runtime), for the ROS arm nodes; everything else imports torch.
"""
