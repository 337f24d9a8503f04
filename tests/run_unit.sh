#!/bin/sh
# Run the cmocka unit test binaries given as arguments; sum up their results.
pass=0 fail=0 bad=""
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out"
		[ -z "$f" ] && fail=$((fail + 1))
		bad="$bad $(basename "$t")"
	fi
done
echo "unit: $pass passed, $fail failed${bad:+ (in$bad)}"
[ "$fail" -eq 0 ]
