"""nemo_skills_lite: reasoning-dataset pipelines on Slurm clusters and single machines."""

__version__ = "0.1.0"
