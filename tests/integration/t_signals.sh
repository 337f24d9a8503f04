# Signals sent while hugexec works inside the program (the test build holds
# it mid-injection for a moment) stay pending and are delivered after
# hugexec lets go, each exactly once: a handled SIGUSR1 and SIGWINCH (the
# program counts them), and a SIGSTOP, counted by the program's parent
# (sigvictim watch: waitpid, then SIGCONT, which the program counts too).
# Deadlines everywhere: a lost or doubled stop fails the test, never hangs it.
# Then a program under Syscall User Dispatch.
. tests/integration/lib.sh
need_ptrace
need_thp
HUGEXEC_TEST_PAUSE_MS=1500 timeout -s KILL 60 "$P/sigvictim" watch \
	"$HT" --backing=thp "$P/sigvictim" 8 > "$TMP/out" 2> "$TMP/err"
rc=$?
[ $rc = 0 ] || fail "watch: status $rc: $(cat "$TMP/out") $(cat "$TMP/err")"
exp=$(printf 'usr1=1 winch=1 cont=1\nwatch: stops=1 traced=0 status=0')
[ "$(cat "$TMP/out")" = "$exp" ] || fail "signals delivered: $(cat "$TMP/out") $(cat "$TMP/err")"
grep -q hugexec "$TMP/err" && fail "hugexec complained: $(cat "$TMP/err")"

# Syscall User Dispatch turned on before the entry point (a library's
# constructor): hugexec's injected calls must not reach the program's
# SIGSYS handler, nor cost it that handler (a forced SIGSYS, blocked while
# hugexec worked, used to reset it to SIG_DFL: the program then died of
# its own next dispatched call).
capture sud_plain "$P/sud"
[ "$(cat "$TMP/sud_plain.rc")" = 77 ] && skip "no Syscall User Dispatch in this kernel"
capture sud_hx "$H" -v --backing=thp "$P/sud"
same_run sud_plain sud_hx
if grep -q 'got signal 31' "$TMP/sud_hx.err"; then
	note "this kernel cannot switch Syscall User Dispatch off for ptrace (before 6.4): failed open"
else
	grep -q 'on 2 MB pages (thp' "$TMP/sud_hx.err" || fail "sud: not remapped: $(cat "$TMP/sud_hx.err")"
fi
note "Syscall User Dispatch: $(cat "$TMP/sud_hx.out")"
# As on a kernel that cannot switch it off: hugexec's first injected call
# is dispatched, and the kernel forces a SIGSYS on the program. It must find
# SIGSYS unblocked (a forced, blocked signal loses its handler for good:
# the program used to die of its own next dispatched call) and fail open.
capture sud_keep env HUGEXEC_TEST_KEEP_SUD=1 "$HT" -v --backing=thp "$P/sud"
same_run sud_plain sud_keep
grep -q 'got signal 31' "$TMP/sud_keep.err" || fail "no forced SIGSYS: $(cat "$TMP/sud_keep.err")"
exit 0
