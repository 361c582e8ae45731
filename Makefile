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
	$(GO) test -run '^$$' -fuzz FuzzRequests -fuzztime 30s ./internal/control
	$(GO) test -run '^$$' -fuzz FuzzForecast -fuzztime 30s ./internal/weather
	$(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime 30s ./internal/notify/reply

# The full benchmark set (about 11 minutes; needs remind: apt-get install
# remind). bench/RESULTS.md records the last run; go run ./bench --quick
# gives the same figures in under a minute.
bench:
	$(GO) run ./bench

golden:
	$(GO) test ./internal/plan ./internal/weather -update

clean:
	rm -rf bin

.PHONY: verify-units deb deb-check

# systemd-analyze verify on both units, and the system unit's exposure
# score (at most 1.5).
verify-units:
	deploy/systemd/verify.sh

# bin/crampd_<version>_amd64.deb (VERSION=... to set the version).
deb:
	deploy/deb/build.sh

# Builds the .deb and checks its contents and control file.
deb-check:
	deploy/deb/check.sh "$$(deploy/deb/build.sh | tail -1)"
