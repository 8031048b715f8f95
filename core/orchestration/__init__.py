"""The orchestration layer: the background worker, the runners of each run kind, lessons, experiments and Ray."""
