#!/bin/sh
# make test: the folders' layering, unit tests, fuzz-corpus replay,
# integration tests, then one
# summary line. (Each runner's output goes straight to stdout; its last
# line, the summary, is kept from a copy.)
cd "$(dirname "$0")/.." || exit 99
log=$(mktemp) || exit 99
trap 'rm -f "$log"' EXIT
l=$(tests/check_layers.sh | tee "$log" >&2; tail -n 1 "$log")
u=$(tests/run_unit.sh "$@" | tee "$log" >&2; tail -n 1 "$log")
r=$(tests/run_replay.sh | tee "$log" >&2; tail -n 1 "$log")
i=$(tests/run_integration.sh | tee "$log" >&2; tail -n 1 "$log")
n() { printf '%s\n' "$1" | sed -n "s/.* \([0-9]*\) $2.*/\1/p"; }
p=$(( $(n "$l" passed) + $(n "$u" passed) + $(n "$r" passed) + $(n "$i" passed) ))
f=$(( $(n "$l" failed) + $(n "$u" failed) + $(n "$r" failed) + $(n "$i" failed) ))
s=$(n "$i" skipped)
echo "make test: $p passed, $f failed, ${s:-0} skipped"
[ "$f" -eq 0 ]
