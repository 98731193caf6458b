# The two commands of the README:
#   make book   set up .venv, build the website (every notebook executed)
#   make test   set up .venv, run every test: library, notebooks, build, browser
VENV := .venv/bin
BUILD := $(VENV)/jupyter-book build . --all -W -n --keep-going

.PHONY: book test site

NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=120 -p no:cacheprovider

book:
	bash scripts/setup_env.sh book
	$(MAKE) --no-print-directory site
	@echo "Website: $(CURDIR)/_build/html/index.html"

# Build with warnings as errors. Notebook executions are cached in
# _build/.jupyter_cache, keyed on the notebooks' code only, so the cache is
# dropped whenever the library has changed since it was written.
CACHE_DB := _build/.jupyter_cache/global.db

site:
	$(VENV)/python scripts/fetch_assets.py
	@if [ -f $(CACHE_DB) ] && [ -n "$$(find lyaplearn -name '*.py' -newer $(CACHE_DB))" ]; then \
		echo "lyaplearn changed since the notebooks were executed: clearing the cache"; \
		rm -rf _build/.jupyter_cache; fi
	$(BUILD)

test:
	bash scripts/setup_env.sh book test
	bash scripts/ensure_chromium.sh
	$(VENV)/python scripts/fp_fingerprint.py
	$(VENV)/python -m pytest tests --ignore=tests/site --durations=10
	$(VENV)/python -m pytest $(NBVAL) book
	bash scripts/fp_matrix.sh      # the same again under other floating-point configurations
	$(MAKE) --no-print-directory site
	$(VENV)/python -m pytest tests/site
