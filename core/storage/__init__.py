"""The storage layer: everything GenreLab keeps on disk (atomic writes, run records, the feature cache)."""
