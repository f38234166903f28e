"""The TFF computations: client datasets, the FedAvg and evaluation processes, boosting
clients, and the C++ worker that runs them. The only package that builds TFF processes.

May import: `federated.aggregators`, `federated.privacy`, `federated.simulation`, `model`.
"""
