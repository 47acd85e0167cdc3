"""GPU kernels (being written)."""

PTX = []
