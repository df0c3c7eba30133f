#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what is missing, builds Release, tests,
# and ends with one plain line "N passed, N failed" taken from the test results (TRX).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
scripts/setup.sh || exit 1
results="$root/.artifacts/test-results"
rm -rf "$results"
dotnet build ScalingLab.sln -c Release -nologo -v q -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }
dotnet test ScalingLab.sln -c Release --no-build -nologo -v q \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" "$@"
rc=$?
passed=0; failed=0; found=0
while IFS= read -r -d '' f; do
  counters=$(grep -o '<Counters [^>]*' "$f" | head -n 1)
  [ -n "$counters" ] || continue
  found=1
  count() { n=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"); echo "${n:-0}"; }
  passed=$((passed + $(count passed))); failed=$((failed + $(count failed)))
  # A test counted but not executed, and not skipped (a skipped test's result is "NotExecuted"), is a failure too.
  skipped=$(grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$f" | wc -l)
  lost=$(($(count total) - $(count executed) - skipped))
  if [ "$lost" -gt 0 ]; then
    failed=$((failed + lost))
    echo "test.sh: $lost tests in $f were counted but neither run nor skipped; counted as failed" >&2
  fi
done < <(find "$results" -name '*.trx' -print0 2>/dev/null)
if [ "$found" = 0 ]; then
  echo "test.sh: dotnet test exited with code $rc and wrote no test results (TRX); see the log above" >&2
  echo "0 passed, 1 failed"; exit 1
fi
# A test host that crashes (an unhandled exception on a worker thread) aborts the run: dotnet test exits non-zero, but the
# TRX only counts the tests that finished before it, all passed. Count the abort as one failure, so that no summary
# reads "0 failed" for a run that did not finish.
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
  failed=1
  echo "test.sh: dotnet test exited with code $rc but no test failed: the test host crashed or aborted; see the log above" >&2
fi
# End to end: the quick demo (trains a small sweep, fits, analyses, writes and renders the report). It counts as one
# more test, so the last line stays the summary.
if [ -z "${SCALINGLAB_SKIP_DEMO:-}" ]; then
  echo "test.sh: scalinglab demo --quick" >&2
  rm -rf "$root/.artifacts/demo-quick"
  if dotnet src/ScalingLab.Cli/bin/Release/net10.0/ScalingLab.Cli.dll demo --quick --out "$root/.artifacts/demo-quick"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); rc=1
  fi
  # Its report.html through a real HTML validator (html-validate, installed by scripts/setup.sh): one more test.
  echo "test.sh: html-validate .artifacts/demo-quick/report.html" >&2
  if tools/html-validate/node_modules/.bin/html-validate --config tools/html-validate/htmlvalidate.json \
       "$root/.artifacts/demo-quick/report.html"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); rc=1
  fi
fi
# The papers' experiments at CI size (`reproduce all --quick`): one more test, like the demo.
if [ -z "${SCALINGLAB_SKIP_DEMO:-}" ]; then
  echo "test.sh: scalinglab reproduce all --quick" >&2
  rm -rf "$root/.artifacts/reproduce-quick"
  if dotnet src/ScalingLab.Cli/bin/Release/net10.0/ScalingLab.Cli.dll reproduce all --quick --out "$root/.artifacts/reproduce-quick"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); rc=1
  fi
fi
echo "$passed passed, $failed failed"
exit $rc
