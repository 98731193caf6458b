# The two commands of the README:
#   make book   set up .venv, build the website (every notebook executed)
#   make test   set up .venv, run every test: lint, library, notebooks under three floating-point
#               configurations, the build, the browser (scripts/test_all.sh)
# and the contributor's quick one:
#   make check  set up .venv, lint (ruff) and the library tests not marked slow (about a minute)
VENV := .venv/bin
BUILD := $(VENV)/jupyter-book build . --all -W -n --keep-going

.PHONY: book test check site assignments grade publish

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
	bash scripts/setup_env.sh book test teacher
	bash scripts/ensure_debian.sh chromium bubblewrap postgresql
	bash scripts/test_all.sh

# The linter (its rules in pyproject.toml) and the fast library tests: everything in tests/
# but the files marked `slow` (the wheel in a fresh venv, the sandboxed marking, PostgreSQL,
# chapter 9's network sizes), which `make test` runs.
check:
	bash scripts/setup_env.sh book test
	$(VENV)/python -m ruff check .
	OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 $(VENV)/python -m pytest tests \
		--ignore=tests/site -m "not slow" -q -p no:cacheprovider -n auto

# Coursework (book/teaching.md): student notebooks and the grader's files from
# book/assignments/masters/, then local marking of a folder of submitted notebooks.
assignments:
	bash scripts/setup_env.sh teacher
	$(VENV)/python -m lyaplearn.teacher.coursework generate --out _build/assignments

# Each notebook runs in a bubblewrap sandbox (seccomp filter, fresh keyring) with one time
# budget for everything it does (TIMEOUT seconds, default 300); graders missing or older than
# their master are made again first.
TIMEOUT ?= 300
grade:
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder of .ipynb> [TIMEOUT=seconds]"; exit 2; }
	bash scripts/setup_env.sh teacher
	bash scripts/ensure_debian.sh sandbox
	$(VENV)/python -m lyaplearn.teacher.coursework grade "$(SUBMISSIONS)" --autograders _build/assignments/autograder --timeout $(TIMEOUT)

# Build the website for publication (refuses while repository.url in _config.yml is a
# placeholder) and push it to the gh-pages branch (README, "Publishing").
publish:
	bash scripts/setup_env.sh book publish
	$(VENV)/python scripts/fetch_assets.py
	LYAPLEARN_PUBLISH=1 $(BUILD)
	$(VENV)/ghp-import -n -p -f _build/html
