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
	SELFCHECK=1 capture ok $RUN "$HT" -v "$@" "$prog" --calls 2000
	n=$(sed -n 's/.*region.*, \([0-9]*\) syscalls.*/\1/p' "$TMP/ok.err")
	[ -n "$n" ] && [ "$n" -gt 3 ] || fail "$label: no syscall count: $(cat "$TMP/ok.err")"
	# the sweep is of the backing it names (another user of the pool
	# could have taken the reserved pages: then this fails, loudly)
	case $label in *hugetlb*) grep -q '(hugetlb ' "$TMP/ok.err" ||
		fail "$label: the run was not on hugetlb pages: $(cat "$TMP/ok.err")" ;; esac
	k=1 rolled=0
	while [ $k -le $((n + 1)) ]; do
		# one file per run: -vv's perf map lines come after the program
		# has been let go, and must not land in the next run's file
		t=$label-k$k
		SELFCHECK=1 HUGEXEC_TEST_FAIL_SYSCALL=$k capture $t $RUN "$HT" -vv "$@" "$prog" --calls 2000
		same_run base $t
		if grep -q 'rolled back\|running it unmodified' "$TMP/$t.err"; then
			rolled=$((rolled + 1))
			if ! grep -q 'on 2 MB pages (' "$TMP/$t.err" || grep -q '0 KB on 2 MB pages (4k)' "$TMP/$t.err"; then
				[ "$(field "$TMP/$t.err" anon_kb)" = 0 ] ||
					fail "$label K=$k: anonymous text left after rollback: $(cat "$TMP/$t.err")"
			fi
		fi
		grep -q 'could not restore' "$TMP/$t.err" && fail "$label K=$k: $(cat "$TMP/$t.err")"
		k=$((k + 1))
	done
	note "$label: $n syscalls, every K passed, $rolled runs rolled back or let go"
	[ $rolled -gt 0 ] || fail "$label: no K caused a rollback"
}
RUN=norand # the PIE at one address: the same plan every run (a copy)
sweep pie-thp "$P/bigtext-pie"
"$EVICT" "$P/bigtext-nopie"
RUN=
sweep nopie-auto "$P/bigtext-nopie"
RUN=norand
if reserve_hugetlb 20; then
	sweep pie-hugetlb "$P/bigtext-pie" --backing=auto
else
	note "cannot reserve hugetlb pages: the hugetlb path is not swept"
fi
# The commit (unmapping the old text moved aside) failing: tried again, and
# when that fails too, said (it used to be silent), with the old text
# mapped where the message says; the program runs on its new text anyway.
capture cbase "$P/bigtext-pie" --calls 1000
n=$(norand "$HT" -v --backing=thp "$P/bigtext-pie" --calls 10 2>&1 >/dev/null | sed -n 's/.*, \([0-9]*\) syscalls,.*/\1/p')
found=0 k=1 small=0
while [ $k -le "${n:-0}" ]; do
	HUGEXEC_TEST_FAIL_SYSCALL=$k,2 capture c norand "$HT" -v --no-perf-map --backing=thp "$P/bigtext-pie" --calls 1000
	grep -q 'rolled back\|running it unmodified\|on 2 MB pages (thp' "$TMP/c.err" || small=$((small + 1))
	if grep -q 'could not unmap the old text' "$TMP/c.err"; then
		found=$((found + 1)) kc=$k
		same_run cbase c
	fi
	k=$((k + 1))
done
# (a run whose memory gave no huge page never reaches its commit)
[ $found = 1 ] || [ $found = 0 -a $small -gt 0 ] ||
	fail "the failed commit was said for $found values of K (1..$n)"
if [ $found = 0 ]; then
	note "no run reached its commit (THP refused $small times): the failed commit is not tested"
else
# once only: the retry unmaps it, nothing to say
HUGEXEC_TEST_FAIL_SYSCALL=$kc capture c1 norand "$HT" -v --backing=thp "$P/bigtext-pie" --calls 1000
grep -q 'could not unmap' "$TMP/c1.err" && fail "not retried: $(cat "$TMP/c1.err")"
# twice: the old text is really there, where the message says
HUGEXEC_TEST_FAIL_SYSCALL=$kc,2 setarch "$(uname -m)" -R "$HT" -v --backing=thp "$P/bigtext-pie" \
	--calls 4000000000 >/dev/null 2>"$TMP/c2.err" &
cpid=$!
at_exit "kill $cpid 2>/dev/null"
wait_for "$TMP/c2.err" 'could not unmap the old text' 100
addr=$(sed -n 's/.*could not unmap the old text ([^)]* at 0x\([0-9a-f]*\)).*/\1/p' "$TMP/c2.err")
[ -n "$addr" ] && grep -q "^$addr-" /proc/$cpid/maps || fail "the old text is not at 0x$addr: $(cat "$TMP/c2.err")"
kill $cpid; wait $cpid 2>/dev/null
note "a failed commit (K=$kc of $n): retried, and said when it fails twice"
fi

# The tracer's own calls failing, one at a time (the injection breaks, not
# the target's call): ptrace, waitpid, process_vm_* and /proc/PID/mem. Each
# time the program runs as plainly (its output, its status), or, where its
# text or registers could not be put back, is stopped (status 125, or
# killed when even that cannot be injected) and says so; never a crash,
# never changed text. (This found three ways the program died: the int3
# left in place, rip left past it, a detach that failed under EXITKILL.)
# (a run makes about 160 ptrace calls, 40 waits and 30 memory accesses; a
# single failure of a wait or of reading registers is retried, so most
# points pass unnoticed, which is the point)
for kind in ptrace:160:2 waitpid:40:1 vm:30:1; do
	last=${kind#*:} step=${last#*:} last=${last%%:*} kind=${kind%%:*}
	k=1 runs=0 killed=0
	while [ $k -le "$last" ]; do
		HUGEXEC_TEST_FAIL_OP=$kind:$k capture op norand "$HT" -v --no-perf-map --backing=thp \
			"$P/bigtext-pie" --calls 1000
		rc=$(cat "$TMP/op.rc")
		if [ "$rc" = 125 ] || [ "$rc" = 137 ]; then
			grep -q 'could not restore the program' "$TMP/op.err" && [ ! -s "$TMP/op.out" ] ||
				fail "$kind:$k: status $rc without saying why: $(cat "$TMP/op.err")"
			killed=$((killed + 1))
		else
			same_run cbase op || fail "$kind:$k"
		fi
		runs=$((runs + 1)) k=$((k + step))
	done
	note "$kind: $runs failure points, the program ran as plainly after each, $killed stopped where it could not be restored"
done

# --strict turns a rolled-back region into exit 125 before the program runs
HUGEXEC_TEST_FAIL_SYSCALL=2 capture s "$HT" --strict --backing=thp "$P/bigtext-pie" --calls 2000
[ "$(cat "$TMP/s.rc")" = 125 ] && [ ! -s "$TMP/s.out" ] || fail "--strict after a rollback: $(cat "$TMP/s.rc") $(cat "$TMP/s.err")"
exit 0
