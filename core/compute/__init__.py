"""The computation layer: pure functions and ``nn.Module``s over arrays (features, models, training, GANs,
statistics); no file I/O."""
