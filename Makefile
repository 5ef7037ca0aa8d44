# Two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
FLASK := $(PY) -m flask --app wsgi

.PHONY: run test install install-test migrate demo index serve clean compile-translations translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed compile-translations

install-test: $(VENV)/.installed-test compile-translations

# The Korean interface: only the .po catalogues are committed; the .mo files are built here, again only when
# a catalogue changed (so two `make test` started side by side never rewrite a catalogue the other is reading).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard archive/translations/*/LC_MESSAGES/messages.po))
compile-translations: $(MO_FILES)

archive/translations/%/LC_MESSAGES/messages.mo: archive/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -d archive/translations -l $*

# Re-extract every marked string and update the catalogues (then translate what is new; see README).
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-wrap --sort-by-file \
		--project="Defector Archive" -o archive/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -i archive/translations/messages.pot -d archive/translations --no-wrap \
		--no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel -q compile -d archive/translations

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) archive seed
	$(FLASK) archive load-demo --if-empty

# Public copies of the demo recordings are made before the site opens (about a minute, once), so the
# first visitor hears them; later copies are made by the worker that `serve` starts.
index: demo
	$(FLASK) search verify --repair
	$(FLASK) jobs run --until-idle

# The job worker (public copies of recordings) runs beside gunicorn and stops with it. gunicorn.conf.py
# loads the Korean analyser once in gunicorn's master, so the workers share its model.
serve:
	$(FLASK) jobs run & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	ARCHIVE_INSECURE_COOKIES=$${ARCHIVE_INSECURE_COOKIES-1} $(VENV)/bin/gunicorn --config gunicorn.conf.py --workers 2 --bind 127.0.0.1:$(PORT) wsgi:app

run: index serve

# The suite is spread over the machine's cores by pytest-xdist, one test file per worker at a time (each
# worker has its own database and Redis number); PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: install-test
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
