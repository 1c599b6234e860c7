# MingCRM: `make run` sets up everything and serves on http://127.0.0.1:5000 ; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY      = $(VENV)/bin/python
FLASK   = $(VENV)/bin/flask --app app
STAMP   = $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
PO      = $(wildcard admin_views/translations/*/LC_MESSAGES/messages.po)
MO      = $(PO:.po=.mo)

# Test services: used when reachable; CI sets MINGCRM_REQUIRE_SERVICES=1 so a missing one fails.
export MINGCRM_TEST_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/test
export MINGCRM_TEST_REDIS ?= redis://127.0.0.1:6379/15

.PHONY: install run serve-prod test lint format bench clean translations messages sqlmap

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile -D messages -i $< -o $@

# Flask-Admin's own strings: its wheel ships a zh_Hans_CN admin.mo older than its admin.po
# ("Failed to create record." is missing), so the .po is compiled here and read first
# (Admin(translations_path=...) in admin_views/__init__.py).
FA_PO   = $(shell $(PY) -c 'import flask_admin, pathlib; print(pathlib.Path(flask_admin.__file__).parent / "translations/zh_Hans_CN/LC_MESSAGES/admin.po")' 2>/dev/null)
FA_MO   = admin_views/translations/zh_Hans_CN/LC_MESSAGES/admin.mo

$(FA_MO): $(STAMP)
	$(VENV)/bin/pybabel compile -D admin -i $(FA_PO) -o $@

translations: $(MO) $(FA_MO)

install: $(STAMP) translations
	@$(PY) -c 'from printouts.fonts import main; raise SystemExit(main())'

run: install
	$(FLASK) migrate
	$(FLASK) seed-demo --if-empty
	$(FLASK) serve --host 127.0.0.1 --port 5000

# Scale-out (issue 11): gunicorn with WEB_WORKERS processes and two huey consumers (one with the
# periodic jobs) on the PostgreSQL and Redis named in $$MINGCRM_CONFIG or config.toml.
BIND ?= 127.0.0.1:8000
WEB_WORKERS ?= 2
serve-prod: install
	$(PY) -m tasks.prod --bind $(BIND) --web-workers $(WEB_WORKERS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install lint
	$(PY) -m pytest -q -p no:cacheprovider
	@echo "== the printouts again, as on a machine with no CJK font installed =="
	MINGCRM_TEST_SYSTEM_FONTS=0 $(PY) -m pytest -q -p no:cacheprovider tests/test_printouts.py tests/test_vouchers.py
	@$(PY) -m tests.services postgres; rc=$$?; \
	if [ $$rc -eq 0 ]; then \
	  echo "== the whole suite again on PostgreSQL ($$MINGCRM_TEST_POSTGRES) =="; \
	  MINGCRM_TEST_DATABASE_URL=$$MINGCRM_TEST_POSTGRES $(PY) -m pytest -q -p no:cacheprovider; \
	elif [ $$rc -eq 2 ]; then exit 1; fi

# sqlmap against a local server (issue 11 item 4), not part of `make test`: sqlmap (pinned)
# lives in its own venv, .venv-tools; the scan's command and verdicts are in README "Security".
SQLMAP_VERSION ?= 1.9.11
TOOLS ?= .venv-tools
sqlmap: install
	test -x $(TOOLS)/bin/sqlmap || { $(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q sqlmap==$(SQLMAP_VERSION); }
	$(PY) -m tests.sqlmap_scan --sqlmap $(TOOLS)/bin/sqlmap

bench: install
	$(PY) bench/grid.py --sizes 10000,100000

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# Re-extract every marked string into messages.pot and merge it into each language's .po
# (then translate the new empty entries; tests/test_i18n.py fails until the .pot is current).
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext -o admin_views/translations/messages.pot . && $(VENV)/bin/pybabel update -i admin_views/translations/messages.pot -d admin_views/translations -D messages --no-fuzzy-matching
