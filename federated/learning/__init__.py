"""The TFF computations: client datasets (typing histories, impression logs), the FedAvg and
evaluation processes, boosting clients, and the C++ worker that runs them. The only package
that builds TFF processes.

May import: `federated.aggregators`, `federated.privacy`, `federated.simulation`, `data`
(record types), `model`.
"""
