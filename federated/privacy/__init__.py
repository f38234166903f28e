"""User-level differential privacy: the clipped, noised mean of client updates (DP-FedAvg
with adaptive clipping, DP-FTRL with tree noise), the accountant of what a run spends, and
what larger cohorts at one epsilon would keep of the recall (`cohorts`).

May import: `federated.simulation` (how clients are sampled decides the accounting).
"""
