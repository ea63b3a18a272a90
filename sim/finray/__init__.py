"""Fin-ray fin in a fluid (MuJoCo + a reduced-order resistive-force fluid model).

Modules: :mod:`config` (env config, randomization groups), :mod:`model` (MJCF of the rays),
:mod:`fluid` (membrane-panel fluid forces), :mod:`env` (``greenroom/FinRay-v0``),
:mod:`sinusoid` (sinusoidal actuation baseline and its grid search), :mod:`validation`
(thrust-sign and (f*A)^2 scaling checks of the fluid model).
"""
