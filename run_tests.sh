#!/usr/bin/env bash
# Installs the test extras (and Debian's chromium + a Korean font when missing), then runs
# the whole test suite. This is the README's test command; .ci/run calls nothing else.
set -euo pipefail
cd "$(dirname "$0")"
python -m pip install -q -r requirements-dev.txt
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi nanum; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null
  else
    echo "warning: /usr/bin/chromium or fonts-nanum missing and cannot apt-get: browser tests will skip" >&2
  fi
fi
ruff check .
set +e
python -m pytest "$@"
rc=$?
set -e
# pytest exit 5 = no tests collected: treat as failure-free only when asked for a subset.
if [ "$rc" = 5 ] && [ "$#" -gt 0 ]; then exit 0; fi
exit "$rc"
