#!/usr/bin/env bash
# Prints the home of a JDK >= 21 (mvrefresh targets Java 21): $JAVA_HOME when it qualifies,
# else the newest one under /usr/lib/jvm. Installs Debian's openjdk-21 when none is found
# and it is available. Usage: export JAVA_HOME=$(scripts/java-home.sh)
set -euo pipefail

major_of() {
  local release="$1/release"
  [ -f "$release" ] || return 1
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
}

qualifies() {
  local major
  major=$(major_of "$1" 2>/dev/null) && [ -n "$major" ] && [ "$major" -ge 21 ] && [ -x "$1/bin/javac" ]
}

if [ -n "${JAVA_HOME:-}" ] && qualifies "$JAVA_HOME"; then
  echo "$JAVA_HOME"
  exit 0
fi

find_jdk() {
  local best="" best_major=0 dir major
  for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    [ -L "$dir" ] && continue
    if qualifies "$dir"; then
      major=$(major_of "$dir")
      if [ "$major" -gt "$best_major" ]; then best=$dir; best_major=$major; fi
    fi
  done
  [ -n "$best" ] && echo "$best"
}

if jdk=$(find_jdk); then
  echo "$jdk"
  exit 0
fi

if command -v apt-get >/dev/null 2>&1 && apt-cache show openjdk-21-jdk-headless >/dev/null 2>&1; then
  echo "java-home: installing openjdk-21-jdk-headless" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q openjdk-21-jdk-headless >&2; else sudo apt-get install -y -q openjdk-21-jdk-headless >&2; fi
  if jdk=$(find_jdk); then echo "$jdk"; exit 0; fi
fi

echo "java-home: no JDK 21 or newer found; install one (e.g. Temurin 21) and set JAVA_HOME" >&2
exit 1
