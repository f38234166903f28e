"""One training run: its configuration, its directory (`run_dir` names every file in it),
the checked workspace, the round loop, checkpoints, metrics.csv and summary.json.

May import every package below it: `evaluation`, `learning`, `aggregators`, `privacy`,
`simulation`, and `data`, `model`. Never `keyboard_app`.
"""
