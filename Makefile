# Small developer entry points; CI runs .ci/run, which calls the README test command.
GO ?= go
FUZZTIME ?= 30s

.PHONY: test race lint fuzz bench bench-table

test:
	$(GO) test ./...

race:
	$(GO) test -race ./...

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...
	@command -v golangci-lint >/dev/null && golangci-lint run ./... || echo "golangci-lint not installed: ran gofmt and go vet only"

# Runs every fuzz target for FUZZTIME each; new crashers land in testdata/fuzz/.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# README's measured table: every comparison against its yardstick, same round, ranges over ROUNDS.
ROUNDS ?= 3
bench-table:
	$(GO) run ./internal/benchtable -rounds $(ROUNDS)
