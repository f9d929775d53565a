#!/usr/bin/env bash
# test.sh: the project's test command (README "Testing"; CI runs exactly this).
# gofmt, go mod tidy (go.mod/go.sum must not change), go vet, the import-direction check,
# every test with the race detector, then the short kill -9 chaos run (scripts/chaos.sh --short).
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed:" >&2; echo "$unformatted" >&2; exit 1
fi
if ! go mod tidy -diff >/dev/null; then
  echo "go.mod/go.sum are not tidy: run go mod tidy (go mod tidy -diff shows what changes)" >&2; exit 1
fi
go vet ./...
scripts/check-deps.sh
# broker/e2e drives the broker with the official Go client, which has data races of its own
# (e.g. rmqClient.Shutdown vs InvokeSync): it runs without -race; every other package with it.
mod=$(go list -m)
go test -race -timeout 20m "$@" $(go list ./... | grep -v "^$mod/broker/e2e\$")
go test -timeout 20m "$@" ./broker/e2e
# The TUI end-to-end test drives the official client too: without -race, in a process of its own.
go test -timeout 10m "$@" -run '^TestTUIInTmux$' ./cmd/mq
scripts/chaos.sh --short
