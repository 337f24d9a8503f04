#!/bin/sh
# Run every tests/integration/t_*.sh. Exit codes: 0 pass, 77 skip (the
# test prints why), anything else fail. Ends with one summary line.
# TESTS="t_a t_b" runs a subset.
cd "$(dirname "$0")/.." || exit 99
pass=0 fail=0 skip=0 failed=""
list=${TESTS:-$(cd tests/integration && ls t_*.sh | sed 's/\.sh$//')}
for t in $list; do
	start=$(date +%s)
	out=$(sh "tests/integration/$t.sh" 2>&1); rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $t (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $t: $(printf '%s\n' "$out" | sed -n 's/^SKIP: //p' | head -n 1)" ;;
	*) fail=$((fail + 1)); failed="$failed $t"; echo "FAIL $t (exit $rc, ${secs}s)"
	   printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /' ;;
	esac
done
echo "integration: $pass passed, $fail failed, $skip skipped${failed:+ (failed:$failed)}"
[ "$fail" -eq 0 ]
