"""Federated training of the keyboard's models with TFF (next-word prediction, and query
suggestions' triggering), and their reports.

Layers, top to bottom; a package imports only the ones below it (`make lint` checks this with
import-linter, contracts in `.importlinter`):

- `train`, `train_queries`, `worker`, `experiments`, `privacy_at_scale`: the command lines; the
  only modules that read arguments.
- `command_line`: the flags both trainers share, and the typed options they become.
- `report`: `python -m federated.report`: a finished run against its baselines.
- `training`: one run: its directory, configuration, workspace, round loop, summary.
- `evaluation`: scoring a model on held-out users; the n-gram and centralized baselines.
- `learning`: the TFF computations: client datasets, FedAvg and evaluation, the worker.
- `aggregators`: how the server combines client updates (`tff.aggregators` factories).
- `privacy`: differential privacy: the noised mean and the accountant.
- `simulation`: who trains when, attackers, sampling (pure Python + numpy, no TensorFlow).
- `flags`: the command-line flag of every setting, for validation messages.
"""
