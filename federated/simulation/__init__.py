"""The simulated population of phones: who is sampled, who is available, who attacks.

Pure Python + numpy, no TensorFlow (an import-linter contract says so), so every draw is fast
to test. Every draw is seeded by the run's seed, the round and the client ids only.
May import: `data`, `model` (its pure modules), `federated.flags`.
"""
