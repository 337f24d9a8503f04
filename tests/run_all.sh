#!/bin/sh
# make test: unit tests, then integration tests, then one summary line.
cd "$(dirname "$0")/.." || exit 99
u=$(tests/run_unit.sh "$@" | tee /dev/stderr | tail -n 1)
r=$(tests/run_replay.sh | tee /dev/stderr | tail -n 1)
i=$(tests/run_integration.sh | tee /dev/stderr | tail -n 1)
n() { printf '%s\n' "$1" | sed -n "s/.* \([0-9]*\) $2.*/\1/p"; }
p=$(( $(n "$u" passed) + $(n "$r" passed) + $(n "$i" passed) ))
f=$(( $(n "$u" failed) + $(n "$r" failed) + $(n "$i" failed) ))
s=$(n "$i" skipped)
echo "make test: $p passed, $f failed, ${s:-0} skipped"
[ "$f" -eq 0 ]
