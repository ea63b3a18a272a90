"""Fin-ray actuation: synchronous SB3 SAC (reference), asynchronous parallel SAC (APT-style
actors + learner, local processes or Ray), the sinusoid baseline comparison, ONNX export."""
