# The two commands of the README:
#   make demo   set up, generate data, train (or reuse the trained models), serve the keyboard
#   make test   set up (with the browser for the web test), lint, run every test
PY := .venv/bin/python
DEMO_DIR := runs/demo
DEMO_DATA := $(DEMO_DIR)/histories.jsonl
DEMO_RUN := $(DEMO_DIR)/run
DEMO_DEVICES := $(DEMO_DIR)/devices
PORT ?= 8000
DEMO_USERS ?= 1000
DEMO_SEED ?= 1
# Anything data.generate accepts besides --users, --seed and --out; a change regenerates.
GENERATE_ARGS ?=
# The simulation's version (data.generate's output for the same arguments): bump it when that
# output changes, so that an existing demo directory is generated and trained again.
SIMULATION := 2
# Anything federated.train accepts; a change retrains (the recipe compares this line).
TRAIN_ARGS ?= --rounds 300 --clients-per-round 20
# The query-suggestion triggering run, in the next-word run's directory: same data, seed and
# held-out users. Anything federated.train_queries accepts; a change retrains it.
DEMO_QUERIES := $(DEMO_RUN)/queries
QUERY_TRAIN_ARGS ?=

.PHONY: demo train serve retrain report experiments shakespeare test setup setup-test lint \
  bench bench-flower clean-demo FORCE

demo: setup train serve

train: setup $(DEMO_RUN)/summary.json $(DEMO_QUERIES)/summary.json

serve: setup
	$(PY) -m keyboard_app --model $(DEMO_RUN)/model --data-dir $(DEMO_DEVICES) \
	  --history $(DEMO_DATA) --port $(PORT)

# Closing the loop: what was typed on the keyboard's devices joins 10 more rounds of the
# next-word run, and the query chips they showed and tapped 10 more of the triggering run; the
# running keyboard picks up both new model versions by itself.
retrain: setup
	$(PY) -m federated.train --data $(DEMO_DATA) --out $(DEMO_RUN) --resume \
	  --device-logs $(DEMO_DEVICES) \
	  $$(cat $(DEMO_DIR)/train-args) --rounds $$($(PY) -c "import json; \
	  print(json.load(open('$(DEMO_RUN)/summary.json'))['rounds_completed'] + 10)")
	$(PY) -m federated.train_queries --data $(DEMO_DATA) --out $(DEMO_QUERIES) --resume \
	  --device-logs $(DEMO_DEVICES) \
	  $$(cat $(DEMO_DIR)/query-train-args) --rounds $$($(PY) -c "import json; \
	  print(json.load(open('$(DEMO_QUERIES)/summary.json'))['rounds_completed'] + 10)")

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --browser

$(DEMO_DIR)/generate-args: FORCE
	@mkdir -p $(DEMO_DIR)
	@echo '--users $(DEMO_USERS) --seed $(DEMO_SEED) $(GENERATE_ARGS) # simulation $(SIMULATION)' \
	  | cmp -s - $@ || \
	  echo '--users $(DEMO_USERS) --seed $(DEMO_SEED) $(GENERATE_ARGS) # simulation $(SIMULATION)' > $@

$(DEMO_DATA): $(DEMO_DIR)/generate-args
	@mkdir -p $(DEMO_DIR)
	rm -rf $(DEMO_RUN)
	$(PY) -m data.generate --out $@ $$(sed 's/#.*//' $(DEMO_DIR)/generate-args)

# Retrain only when the data or the training arguments changed; otherwise reuse the model.
# An interrupted training (Ctrl-C) continues where it stopped (--resume).
$(DEMO_DIR)/train-args: FORCE
	@mkdir -p $(DEMO_DIR)
	@echo '$(TRAIN_ARGS) --seed $(DEMO_SEED)' | cmp -s - $@ || \
	  { rm -rf $(DEMO_RUN); echo '$(TRAIN_ARGS) --seed $(DEMO_SEED)' > $@; }

$(DEMO_RUN)/summary.json: $(DEMO_DATA) $(DEMO_DIR)/train-args
	$(PY) -m federated.train --data $(DEMO_DATA) --out $(DEMO_RUN) --resume \
	  $$(cat $(DEMO_DIR)/train-args)

$(DEMO_DIR)/query-train-args: FORCE
	@mkdir -p $(DEMO_DIR)
	@echo '$(QUERY_TRAIN_ARGS) --seed $(DEMO_SEED)' | cmp -s - $@ || \
	  { rm -rf $(DEMO_QUERIES); echo '$(QUERY_TRAIN_ARGS) --seed $(DEMO_SEED)' > $@; }

# After the next-word run (order only: retraining that one does not retrain this one).
$(DEMO_QUERIES)/summary.json: $(DEMO_DATA) $(DEMO_DIR)/query-train-args | $(DEMO_RUN)/summary.json
	$(PY) -m federated.train_queries --data $(DEMO_DATA) --out $(DEMO_QUERIES) --resume \
	  $$(cat $(DEMO_DIR)/query-train-args)

# The accuracy report of the demo run (federated vs centralized vs n-gram vs unigram), with
# the keyboard's live metrics once the keyboard has logged any: runs/demo/run/report/index.html.
report: setup
	$(PY) -m federated.report $(DEMO_RUN) $(if $(wildcard $(DEMO_DEVICES)),--device-logs $(DEMO_DEVICES))

# Privacy, attacks and defences, dropout, compression: two suites of runs, each reported
# against its benign run (runs/experiments/*/benign/report/index.html), then what cohorts of
# 100-2,000 of 90,000 users would keep of the recall at epsilon 10 (federated.privacy_at_scale).
# About 5 hours on 2 cores; run it again to continue after a stop.
# Robustness: demo data and settings.
# Privacy: DP at 10,000 users, 100 clients a round, so that the noise is meaningful. Its data is
# generated once and kept across SIMULATION versions (the suites' documented figures were
# measured on the first, the privacy-at-scale runs on the second): delete it to generate it again.
EXPERIMENTS_DIR := runs/experiments
PRIVACY_DATA := $(EXPERIMENTS_DIR)/privacy-histories.jsonl
PRIVACY_USERS ?= 10000

experiments: setup $(DEMO_DATA) $(PRIVACY_DATA)
	$(PY) -m federated.experiments robustness --data $(DEMO_DATA) \
	  --out $(EXPERIMENTS_DIR)/robustness
	$(PY) -m federated.experiments privacy --data $(PRIVACY_DATA) \
	  --out $(EXPERIMENTS_DIR)/privacy
	$(PY) -m federated.privacy_at_scale --users 90000 $(addprefix $(EXPERIMENTS_DIR)/privacy/, \
	  benign dp-z0.05 dp-z0.1 dp-z0.2 dp-z0.5 dp-z1 dp-z2)

$(PRIVACY_DATA):
	@mkdir -p $(@D)
	$(PY) -m data.generate --users $(PRIVACY_USERS) --seed $(DEMO_SEED) --out $@

# The real-text benchmark: Shakespeare's plays, one client per role per play (LEAF-style),
# trained with federated.train's defaults and reported against its baselines:
# runs/shakespeare/run/report/index.html. The texts come with the set-up (.cache/shakespeare).
# Made once (like the demo: `rm -rf runs/shakespeare` to start again); an interrupted training
# continues where it stopped.
SHAKESPEARE_DIR := runs/shakespeare
SHAKESPEARE_DATA := $(SHAKESPEARE_DIR)/histories.jsonl
SHAKESPEARE_RUN := $(SHAKESPEARE_DIR)/run

shakespeare: setup $(SHAKESPEARE_RUN)/report/report.json

$(SHAKESPEARE_DATA):
	@mkdir -p $(@D)
	rm -rf $(SHAKESPEARE_RUN)
	$(PY) -m data.shakespeare --out $@

$(SHAKESPEARE_RUN)/summary.json: $(SHAKESPEARE_DATA)
	$(PY) -m federated.train --data $(SHAKESPEARE_DATA) --out $(SHAKESPEARE_RUN) --resume

$(SHAKESPEARE_RUN)/report/report.json: $(SHAKESPEARE_RUN)/summary.json
	$(PY) -m federated.report $(SHAKESPEARE_RUN)

lint: setup
	$(PY) -m ruff check .
	.venv/bin/lint-imports

test: setup-test lint
	$(PY) -m pytest

bench: setup
	$(PY) -m benchmarks.round_vs_central
	$(PY) -m benchmarks.aggregators
	$(PY) -m benchmarks.workers
	$(PY) -m benchmarks.suggest_latency --model $(DEMO_RUN)/model
	$(PY) -m benchmarks.personalize_device --model $(DEMO_RUN)/model
	$(PY) -m benchmarks.suggest_load --model $(DEMO_RUN)/model
	$(PY) -m benchmarks.triggering_round --data $(DEMO_DATA)
	$(PY) -m benchmarks.prepare_scale --users 1000,10000 --compare-jobs

# The side-by-side peer (issue 15): Flower's Ray simulation training the same model on the same
# clients, then our TFF trainer, each against central Keras epochs on the same examples. Flower
# lives in its own environment, .venv-flower (benchmarks/flower-requirements.lock), never in .venv.
FLOWER_PY := .venv-flower/bin/python
FLOWER_ROUNDS ?= 30
bench-flower: setup .venv-flower/.installed
	$(FLOWER_PY) -m benchmarks.flower_peer --rounds $(FLOWER_ROUNDS)
	$(PY) -m benchmarks.round_vs_central --rounds $(FLOWER_ROUNDS)

# uv comes with the project's .venv (`setup`, order only: it always runs).
.venv-flower/.installed: benchmarks/flower-requirements.lock | setup
	rm -rf .venv-flower
	.venv/bin/uv venv --quiet --python $(PY) .venv-flower
	.venv/bin/uv pip install --quiet --python $(FLOWER_PY) -r benchmarks/flower-requirements.lock
	touch $@

clean-demo:
	rm -rf $(DEMO_DIR)

FORCE:
