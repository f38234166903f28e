"""Scoring next-word models on held-out users, as the keyboard would: recall of the global
model and of its baselines (n-gram, centralized, unigram), by user and by prefix, the
backdoor's success, and live metrics from device logs.

May import: `federated.learning` (client datasets), `federated.simulation`, `data`, `model`.
"""
