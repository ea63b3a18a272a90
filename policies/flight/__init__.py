"""CAD2RL flight policy: value-grid CNN, Monte Carlo policy evaluation, evaluation, export."""
