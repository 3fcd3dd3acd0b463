#!/usr/bin/env bash
# Prints the path of a promtool (Prometheus' rule checker) for the alert-rule tests: the one on
# PATH, or one extracted from Debian's "prometheus" package into a cache directory, without
# installing or starting a Prometheus server.
#   scripts/promtool.sh        # idempotent
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}/mvrefresh/prometheus
binary=$cache/usr/bin/promtool
if [ ! -x "$binary" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
    if [ "$(id -u)" -eq 0 ]; then apt-get update -q >&2; else sudo apt-get update -q >&2; fi
    (cd "$work" && apt-get download prometheus >&2)
  fi
  mkdir -p "$cache"
  dpkg -x "$work"/prometheus_*.deb "$cache"
fi
echo "$binary"
