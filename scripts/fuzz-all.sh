#!/usr/bin/env bash
# Runs every Fuzz target in the module for FUZZTIME each (default 60s; `make fuzz-short` uses 10s).
# Long runs live here, not in make test. Every target runs even after one fails; the failures are
# listed at the end (a crasher is saved under the package's testdata/fuzz/<target>/ to rerun).
set -uo pipefail
t=${1:-60s}
failed=()
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $f ($t)"
    if ! go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"; then
      failed+=("$pkg $f")
    fi
  done
done
if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
