"""An example of a sampler defined outside leapsbench (see ../README.md)."""
