#!/bin/sh
# Replay each fuzz target's seed corpus (tests/fuzz/corpus/NAME) and kept
# crash inputs (tests/fuzz/regressions/NAME) through its entry point, built
# with sanitizers as build/test/replay/NAME (make test). Every target in
# tests/fuzz/fuzz_*.c must have its replay program and at least one input.
cd "$(dirname "$0")/.." || exit 99
pass=0 fail=0
list=$(mktemp) || exit 99
trap 'rm -f "$list"' EXIT
for src in tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c); n=${n#fuzz_}
	bin=build/test/replay/$n
	[ -x "$bin" ] || { echo "replay $n: no replay program $bin"; fail=$((fail + 1)); continue; }
	# -print0: libFuzzer's file names are safe, hand-made ones may not be
	find tests/fuzz/corpus/$n tests/fuzz/regressions/$n -type f -print0 >"$list" 2>/dev/null
	corpus=$(grep -zc "^tests/fuzz/corpus/$n/" "$list")
	kept=$(grep -zc "^tests/fuzz/regressions/$n/" "$list")
	[ $((corpus + kept)) -gt 0 ] || { echo "replay $n: no inputs"; fail=$((fail + 1)); continue; }
	if out=$(xargs -0 "$bin" <"$list" 2>&1); then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "replay $n FAILED ($corpus corpus, $kept regression inputs):"
		echo "$out" | tail -n 20
	fi
done
echo "replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
