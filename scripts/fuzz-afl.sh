#!/usr/bin/env bash
# Coverage-guided fuzzing of one input format with AFL++ (Debian afl++) and SharpFuzz, for a fixed time; not run by CI.
#   scripts/fuzz-afl.sh FORMAT [SECONDS]      e.g. scripts/fuzz-afl.sh sweep-spec-yaml 300
# Formats: those of tests/ScalingLab.Tests/Fuzz/FuzzFormats.cs. Crashing inputs are copied to
# tests/ScalingLab.Tests/Fuzz/regressions/FORMAT/, which the fuzz tests replay on every run: fix the parser, keep the file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
format=${1:?usage: fuzz-afl.sh FORMAT [SECONDS]}
seconds=${2:-120}
command -v afl-fuzz >/dev/null || { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null; }
command -v afl-fuzz >/dev/null || { echo "fuzz-afl: afl-fuzz not found; apt-get install afl++" >&2; exit 1; }
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
work="$root/.artifacts/afl/$format"
out="$root/.artifacts/afl/bin"
rm -rf "$work" "$out"; mkdir -p "$work/in"
dotnet publish "$root/fuzz/ScalingLab.Fuzz" -c Release -o "$out" -v q -nologo >/dev/null
dotnet "$out/ScalingLab.Fuzz.dll" seeds "$format" "$work/in"   # before instrumenting: it runs only under afl-fuzz then
sharpfuzz "$out/ScalingLab.dll" >/dev/null   # instruments the library's parsers in place
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1
timeout --preserve-status "$((seconds + 30))" afl-fuzz -V "$seconds" -i "$work/in" -o "$work/out" -t 5000 -m none \
  -- dotnet "$out/ScalingLab.Fuzz.dll" "$format" > "$work/afl.log" 2>&1 || true
stats="$work/out/default/fuzzer_stats"
[ -f "$stats" ] || { echo "fuzz-afl: afl-fuzz did not start; see $work/afl.log" >&2; tail -n 20 "$work/afl.log" >&2; exit 1; }
grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|edges_found)' "$stats" | sed "s/^/fuzz-afl $format: /"
crashes=("$work"/out/default/crashes/id:*)
if [ -e "${crashes[0]}" ]; then
  dest="$root/tests/ScalingLab.Tests/Fuzz/regressions/$format"
  mkdir -p "$dest"
  for c in "${crashes[@]}"; do cp "$c" "$dest/afl-$(sha256sum "$c" | cut -c1-16)"; done
  echo "fuzz-afl $format: ${#crashes[@]} crashing inputs copied to $dest (the fuzz tests now replay them)"
fi
