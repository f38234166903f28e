"""Command line: the centralized reference for query-suggestion triggering.

    python -m model.triggering_reference --data runs/histories.jsonl --seed 1 [--out DIR]

Reads the histories and the search and impression logs beside them (`data.impressions`),
holds out users with `data.split.split_users`, builds the query candidates from the training
users' searches only, trains the numpy logistic regression on the training users' impressions
and prints, for the held-out users' impressions: show-always CTR, AUC and log loss of the
model, and CTR at a share kept for the model, the oracle (the simulated true click
probability, when the log has it) and show-always. With ``--out`` it saves the model and the
candidates there (`triggering.npz`, `triggering.json`, `query_candidates.json`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import numpy as np

from data.impressions import impressions_path, read_impressions, searches_path
from data.records import group_by_user, read_records
from data.split import split_users
from model.click_metrics import auc, ctr_at_share_kept, log_loss
from model.query_candidates import build_query_index, save_query_index
from model.triggering import TriggeringConfig, save_triggering_model
from model.triggering_training import (
    TrainingConfig,
    log_examples,
    predict,
    train_logistic_regression,
)

CANDIDATES_FILE = "query_candidates.json"


def evaluate(labels: np.ndarray, scores: dict[str, np.ndarray], share: float) -> list[str]:
    """Lines of a small table: each scorer's AUC and CTR at `share` kept, with its lift."""
    overall = float(labels.mean())
    lines = [f"held-out impressions: {labels.size}, show-always CTR {overall:.4f}"]
    for name, score in scores.items():
        kept = ctr_at_share_kept(labels, score, share)
        lines.append(f"{name:>12}: AUC {auc(labels, score):.4f}  CTR at {share:.0%} kept "
                     f"{kept:.4f}  lift {kept / overall:.3f}")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m model.triggering_reference",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="typing-history JSONL (logs beside it)")
    parser.add_argument("--seed", type=int, default=0, help="split and training seed")
    parser.add_argument("--eval-fraction", type=float, default=0.1, help="held-out users")
    parser.add_argument("--share", type=float, default=0.5, help="share of impressions kept")
    parser.add_argument("--epochs", type=int, default=TrainingConfig().epochs)
    parser.add_argument("--buckets", type=int, default=TriggeringConfig().buckets)
    parser.add_argument("--out", help="directory to save the model and the candidates in")
    args = parser.parse_args(argv)

    by_user = group_by_user(read_records(args.data).records)
    split = split_users(by_user, eval_fraction=args.eval_fraction, seed=args.seed)
    searches = read_records(searches_path(args.data)).records
    index = build_query_index((r.user_id, r.text, r.topic) for r in searches
                              if r.user_id in split.train)
    impressions = read_impressions(impressions_path(args.data)).impressions
    train = [i for i in impressions if i.user_id in split.train]
    held_out = [i for i in impressions if i.user_id in split.eval]
    config = TriggeringConfig(buckets=args.buckets)
    matrix, labels = log_examples(train, config)
    model = train_logistic_regression(
        matrix, labels, config=config,
        training=TrainingConfig(epochs=args.epochs, seed=args.seed))
    eval_matrix, eval_labels = log_examples(held_out, config)
    probabilities = predict(model, eval_matrix)
    print(f"users: {len(split.train)} train, {len(split.eval)} held out; candidates from "
          f"training users' searches: {len(index)}; training impressions: {labels.size}, "
          f"CTR {labels.mean():.4f}")
    scores = {"model": probabilities,
              "show-always": np.zeros_like(probabilities)}
    if all(i.click_probability is not None for i in held_out):
        scores["oracle"] = np.array([i.click_probability for i in held_out])
    for line in evaluate(eval_labels, scores, args.share):
        print(line)
    print(f"model log loss {log_loss(eval_labels, probabilities):.4f}, "
          f"train log loss {log_loss(labels, predict(model, matrix)):.4f}")
    if "oracle" in scores:
        oracle_lift = ctr_at_share_kept(eval_labels, scores["oracle"], args.share)
        model_lift = ctr_at_share_kept(eval_labels, probabilities, args.share)
        overall = eval_labels.mean()
        print(f"model lift / oracle lift at {args.share:.0%}: "
              f"{(model_lift / overall) / (oracle_lift / overall):.3f}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        save_triggering_model(args.out, model)
        save_query_index(Path(args.out) / CANDIDATES_FILE, index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
