# Signals sent while hugexec works inside the program (the test build holds
# it mid-injection for a moment) stay pending and are delivered after
# hugexec lets go, each exactly once: a handled SIGUSR1 and SIGWINCH (the
# program counts them), and a SIGSTOP, counted by the program's parent
# (sigvictim watch: waitpid, then SIGCONT, which the program counts too).
# Deadlines everywhere: a lost or doubled stop fails the test, never hangs it.
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
exit 0
