# Siyu — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := bin/siyu
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/siyu-scrm/siyu/internal/app.Version=$(VERSION)
CHROMIUM  ?= /usr/bin/chromium
# make test runs PostgreSQL tests against the local server when SIYU_TEST_PG is not set and one answers.
LOCAL_PG  := postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
# Iterations rather than seconds: a duration-bound fuzz run can fail with "context deadline
# exceeded" when a loaded machine is slow to stop its workers.
FUZZTIME  ?= 30000x

.PHONY: help run build web web-deps test check test-go test-fuzz test-web test-browser bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: web build ## build what is needed and start the demo on http://localhost:8080
	$(BIN) demo --data data/demo --addr :8080

build: ## build bin/siyu (embeds web/dist if built)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/siyu

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ to build the console (the API works without it)"; exit 1; }
	cd web && npm ci --no-audit --no-fund

web-deps: web/node_modules/.package-lock.json

web: web-deps ## build the console into web/dist
	cd web && npm run build

test: check web test-go test-fuzz test-web test-browser ## the whole suite: vet, gofmt, Go tests on SQLite and PostgreSQL, fuzzing, web unit and browser tests
	@echo "make test: all passed"

check: ## go vet and the gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './web/node_modules/*')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

test-go: ## Go tests with the race detector on SQLite and PostgreSQL
	@if [ -z "$$SIYU_TEST_PG" ]; then \
	  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then export SIYU_TEST_PG='$(LOCAL_PG)'; \
	    echo "PostgreSQL tests: using the local server ($(LOCAL_PG))"; \
	  elif [ "$$CI" = true ]; then echo "CI=true but no PostgreSQL: set SIYU_TEST_PG"; exit 1; \
	  else echo "PostgreSQL tests SKIPPED: no SIYU_TEST_PG and nothing on 127.0.0.1:5432"; fi; \
	fi; \
	$(GO) test -race -count=1 -timeout 10m ./...

test-fuzz: ## run each fuzz target briefly (FUZZTIME=30000x iterations, or e.g. 30s)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

test-web: web-deps ## console unit tests (vitest)
	cd web && npm test

test-browser: web build ## browser tests: playwright-core driving Debian's chromium against a demo server
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and fonts-noto-cjk for the browser tests"; \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-droid-fallback >/dev/null 2>&1 || \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-droid-fallback >/dev/null; }; } || true; \
	  fi; \
	fi; \
	if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$CI" = true ]; then echo "CI=true but $(CHROMIUM) is missing"; exit 1; fi; \
	  echo "browser tests SKIPPED: $(CHROMIUM) is missing and could not be installed (apt-get install chromium fonts-noto-cjk as root)"; \
	  exit 0; \
	fi; \
	SIYU_CHROMIUM=$(CHROMIUM) bash scripts/e2e.sh

bench: ## Go benchmarks (figures go into docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean: ## remove build output and the demo data
	rm -rf bin web/dist/app data/demo web/test-results
