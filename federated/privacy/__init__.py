"""User-level differential privacy: the clipped, noised mean of client updates (DP-FedAvg
with adaptive clipping, DP-FTRL with tree noise) and the accountant of what a run spends.

May import: `federated.simulation` (how clients are sampled decides the accounting).
"""
