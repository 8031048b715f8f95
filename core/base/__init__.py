"""The base layer: decoding audio, finding clips, splits, configs, the data folder, the dataset catalog,
progress phases, the demo set."""
