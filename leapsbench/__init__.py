"""leapsbench: a benchmark suite for samplers of discrete lattice models."""

__version__ = "0.1.0"
