"""`python -m federated.report`: a finished run against its baselines, and compared runs.

Reads the run through `federated.training` (its directory, workspace, metrics), scores with
`federated.evaluation`, writes report.json, report.md, index.html and PNG plots.
"""
