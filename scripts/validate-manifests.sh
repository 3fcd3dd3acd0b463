#!/usr/bin/env bash
# Renders k8s/ (base and overlays) with kustomize and validates every object against the
# Kubernetes and prometheus-operator schemas and Pod Security "restricted". The tools come from
# the npm registry (versions pinned in scripts/manifests/package-lock.json); Node.js and npm from
# Debian's packages when absent.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "validate-manifests: installing nodejs and npm" >&2
  as_root apt-get install -y -q nodejs npm >&2
fi

(cd scripts/manifests && npm install --no-audit --no-fund --loglevel=error >/dev/null)
node scripts/manifests/validate.mjs .
