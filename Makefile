# crampd developer targets. `make test` is exactly what CI runs.
GO ?= go

.PHONY: build test lint fuzz bench golden clean

build:
	$(GO) build -o bin/crampd ./cmd/crampd

test:
	$(GO) test -race ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./internal/profile

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

golden:
	$(GO) test ./internal/plan -update

clean:
	rm -rf bin
