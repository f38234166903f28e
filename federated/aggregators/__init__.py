"""How the server combines client model updates, as `tff.aggregators` factories: TFF's robust
mean, coordinate-wise median and trimmed mean, the similarity filter, quantized uploads, and
the chain `model_update.model_aggregator` builds from a few explicit options.

May import: `federated.privacy`, `federated.simulation`.
"""
