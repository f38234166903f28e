"""One training run: its configuration, its directory (`run_dir` names every file in it),
the checked workspace, the round loop, checkpoints, metrics.csv and summary.json; for the
next-word model (`run`, `workspace`, `config`) and the query-suggestion triggering model
(`query_run`, `query_workspace`, `query_config`, `query_metrics`), sharing the rest.

May import every package below it: `evaluation`, `learning`, `aggregators`, `privacy`,
`simulation`, and `data`, `model`. Never `keyboard_app`.
"""
