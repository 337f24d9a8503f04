#!/bin/sh
# Replay each fuzz target's seed corpus and kept crash inputs (make test).
cd "$(dirname "$0")/.." || exit 99
pass=0 fail=0
ls build/test/replay/* >/dev/null 2>&1 || { echo "replay: 0 passed, 1 failed (no replay programs built)"; exit 1; }
for bin in build/test/replay/*; do
	[ -x "$bin" ] || continue
	n=$(basename "$bin")
	files=$(find tests/fuzz/corpus/$n tests/fuzz/regressions/$n -type f 2>/dev/null)
	[ -n "$files" ] || { echo "replay $n: no inputs"; fail=$((fail + 1)); continue; }
	if out=$(echo "$files" | xargs "$bin" 2>&1); then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "replay $n FAILED:"; echo "$out" | tail -n 20
	fi
done
echo "replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
