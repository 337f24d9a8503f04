# Rollback under faults: the test build fails injected syscall number K
# (HUGEXEC_TEST_FAIL_SYSCALL=K) for every K of a run. Every run must give
# the plain run's output and status; when a group was rolled back, the
# original text is mapped again (no anonymous text left).
. tests/integration/lib.sh
need_ptrace
need_thp
sweep() { # label prog [hugexec options]
	label=$1 prog=$2; shift 2
	capture base "$prog" --calls 2000
	SELFCHECK=1 capture ok "$HT" -v "$@" "$prog" --calls 2000
	n=$(sed -n 's/.*region.*, \([0-9]*\) syscalls.*/\1/p' "$TMP/ok.err")
	[ -n "$n" ] && [ "$n" -gt 3 ] || fail "$label: no syscall count: $(cat "$TMP/ok.err")"
	k=1 rolled=0
	while [ $k -le $((n + 1)) ]; do
		SELFCHECK=1 HUGEXEC_TEST_FAIL_SYSCALL=$k capture k "$HT" -vv "$@" "$prog" --calls 2000
		same_run base k
		if grep -q 'rolled back\|running it unmodified' "$TMP/k.err"; then
			rolled=$((rolled + 1))
			if ! grep -q 'on 2 MB pages (' "$TMP/k.err" || grep -q '0 KB on 2 MB pages (4k)' "$TMP/k.err"; then
				[ "$(field "$TMP/k.err" anon_kb)" = 0 ] ||
					fail "$label K=$k: anonymous text left after rollback: $(cat "$TMP/k.err")"
			fi
		fi
		grep -q 'could not restore' "$TMP/k.err" && fail "$label K=$k: $(cat "$TMP/k.err")"
		k=$((k + 1))
	done
	note "$label: $n syscalls, every K passed, $rolled runs rolled back or let go"
	[ $rolled -gt 0 ] || fail "$label: no K caused a rollback"
}
sweep pie-thp "$P/bigtext-pie"
"$EVICT" "$P/bigtext-nopie"
sweep nopie-auto "$P/bigtext-nopie"
if reserve_hugetlb 20; then
	sweep pie-hugetlb "$P/bigtext-pie" --backing=auto
else
	note "cannot reserve hugetlb pages: the hugetlb path is not swept"
fi
# --strict turns a rolled-back region into exit 125 before the program runs
HUGEXEC_TEST_FAIL_SYSCALL=2 capture s "$HT" --strict --backing=thp "$P/bigtext-pie" --calls 2000
[ "$(cat "$TMP/s.rc")" = 125 ] && [ ! -s "$TMP/s.out" ] || fail "--strict after a rollback: $(cat "$TMP/s.rc") $(cat "$TMP/s.err")"
exit 0
