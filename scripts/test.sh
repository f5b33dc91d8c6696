#!/usr/bin/env bash
# The project's test command (README): checks the formatting, installs what the tests need, runs every test
# project, and ends with one plain line "N passed, N failed" (skipped tests, if any, are counted on the line before
# it). A failed formatting check prints its findings and counts as one failed test; the tests still run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

format_failed=0
if ! format_findings=$(bash scripts/check-format.sh 2>&1); then
  echo "formatting check failed (scripts/check-format.sh):"
  echo "$format_findings"
  format_failed=1
fi

for installer in scripts/install-*.sh; do
  [ -e "$installer" ] || continue
  bash "$installer" >/dev/null || { echo "test setup failed: $installer"; echo "0 passed, $((1 + format_failed)) failed"; exit 1; }
done

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
dotnet test Pix2PixZero.sln --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a build or runner failure counts as a failure
failed=$((failed + format_failed))
if [ "$format_failed" -ne 0 ] && [ "$status" -eq 0 ]; then status=1; fi
if [ "$skipped" -ne 0 ]; then echo "$skipped skipped"; fi
echo "$passed passed, $failed failed"
exit $status
