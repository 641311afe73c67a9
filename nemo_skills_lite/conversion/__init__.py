"""Checkpoint conversion run inside engine containers (sharding for fast tensor-parallel loads)."""
