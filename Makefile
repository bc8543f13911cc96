# Gehoord — the two commands a newcomer needs are `make run` and `make test`.

# Go 1.27.3 (go.mod asks for it: its standard library fixes what govulncheck
# finds in 1.26). A machine's own Go fetches that version from the module
# proxy when GOTOOLCHAIN names it; every go command below runs with it.
export GOTOOLCHAIN := go1.27.3

GO      ?= go
# The toolchain's own gofmt: the one on PATH belongs to the machine's Go.
GOFMT    = $$($(GO) env GOROOT)/bin/gofmt
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/gehoord/gehoord/server/cli.Version=$(VERSION)

.PHONY: run build test test-short bench lint vulncheck tidy-check staticcheck fmt load fuzz

run: build ## build and start the desk on 127.0.0.1:8080 with the embedded database in ./data
	./bin/gehoord serve

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/gehoord ./cmd/gehoord

# Every test: unit, integration on the embedded database, and browser tests
# in headless Chromium (needs /usr/bin/chromium and node_modules/axe-core:
# `apt-get install chromium` and `npm ci`; .ci/run does both).
test:
	$(GO) vet ./...
	@test -z "$$($(GOFMT) -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; $(GOFMT) -l $$(git ls-files '*.go'); exit 1)
	$(GO) test -race -count=1 -timeout 25m ./...
	# The receipt hash's portable code, which amd64 machines do not run.
	$(GO) test -count=1 -tags purego ./server/seal/internal/argon2id

test-short:
	$(GO) test -count=1 ./...

# Every parser of outside input, fuzzed for FUZZTIME each (seed corpora in
# each package's testdata/fuzz); CI runs it after the tests.
FUZZTIME ?= 5s
FUZZ_TARGETS = \
	./server/cases:FuzzReportJSON \
	./server/cases:FuzzReceipt \
	./server/outreach:FuzzSyncBatch \
	./server/web/public:FuzzFormBody \
	./server/cards:FuzzCardCode \
	./server/socialmap:FuzzCSVImport \
	./server/push:FuzzPushSubscription

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s -parallel 2 $$pkg; \
	done

# The first table of the README's Performance section; the slower ones
# (year report, staff pages with 10,000 cases, the 500-item sync, status
# look-ups) give their own command there.
bench: ## benchmarks whose figures are in the README
	$(GO) test -run '^$$' -bench 'CreateCase|IntakePage|HomePage|UpdateThroughTheRoute|RawUpdate' -benchmem -benchtime 200x -p 1 ./server/store/ ./server/web/api/ ./server/web/public/

# The real form and API driven on loopback, each figure beside its ceiling
# measured in the same run (a bare Fiber handler; the receipt-hash bound).
LOAD_ARGS ?= -c 32 -duration 10s
load: build
	$(GO) run ./cmd/loadgen $(LOAD_ARGS)

# vet, gofmt, a tidy go.mod, staticcheck without findings, and no known
# vulnerability that our code reaches.
lint: tidy-check staticcheck vulncheck
	$(GO) vet ./...
	@test -z "$$($(GOFMT) -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; $(GOFMT) -l $$(git ls-files '*.go'); exit 1)

# govulncheck against an offline copy of the Go vulnerability database, built
# once into ~/.cache/gehoord-vulndb (a few minutes cold, under a minute warm);
# fails when the code calls a vulnerable function.
vulncheck:
	GO=$(GO) bash scripts/vulncheck.sh

# A finding is fixed, or silenced in place with //lint:ignore and the reason.
STATICCHECK_VERSION = v0.8.2
staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

tidy-check: ## go.mod and go.sum as `go mod tidy` would write them
	$(GO) mod tidy -diff

fmt:
	$(GOFMT) -w $$(git ls-files '*.go')
