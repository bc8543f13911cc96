# Gehoord — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/gehoord/gehoord/server/cli.Version=$(VERSION)

.PHONY: run build test test-short bench lint fmt load

run: build ## build and start the desk on 127.0.0.1:8080 with the embedded database in ./data
	./bin/gehoord serve

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/gehoord ./cmd/gehoord

# Every test: unit, integration on the embedded database, and browser tests
# in headless Chromium (needs /usr/bin/chromium and node_modules/axe-core:
# `apt-get install chromium` and `npm ci`; .ci/run does both).
test:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) test -race -count=1 -timeout 25m ./...

test-short:
	$(GO) test -count=1 ./...

bench: ## benchmarks whose figures are in the README
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 200x ./server/cases/ ./server/web/...

load: build ## loopback load test of the intake page and the API (needs wrk)
	bash scripts/load.sh

lint:
	$(GO) vet ./...
	gofmt -l $$(git ls-files '*.go')

fmt:
	gofmt -w $$(git ls-files '*.go')
