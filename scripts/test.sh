#!/usr/bin/env bash
# `npm test`: the type check and the lint run beside the tests, not before them. Jest runs its suites one at a
# time (--runInBand) and mostly keeps one core busy; tsc and eslint take the other for a minute and a half.
# Their output is printed after the tests, and any of the three failing fails the run. Arguments go to jest.
set -uo pipefail
cd "$(dirname "$0")/.."
checks=$(mktemp -d)
trap 'rm -rf "$checks"' EXIT

npm run --silent typecheck > "$checks/typecheck.log" 2>&1 &
typecheck=$!
npm run --silent lint > "$checks/lint.log" 2>&1 &
lint=$!

npx jest --runInBand "$@"
tests=$?

failed=0
report() { # name pid
  if wait "$2"; then echo "$1: passed"; else echo "$1: FAILED"; cat "$checks/$1.log"; failed=1; fi
}
report typecheck "$typecheck"
report lint "$lint"
[ "$tests" -eq 0 ] && [ "$failed" -eq 0 ]
