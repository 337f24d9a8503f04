# Signals sent while hugexec works inside the program (the test build holds
# it mid-injection for a moment) stay pending and are delivered after
# hugexec lets go: a handled SIGUSR1 and SIGWINCH exactly once each, a
# SIGSTOP stops the program afterwards (and SIGCONT resumes it, once).
. tests/integration/lib.sh
need_ptrace
need_thp
HUGEXEC_TEST_PAUSE_MS=1500 "$HT" --backing=thp "$P/sigvictim" 8 > "$TMP/out" 2> "$TMP/err" &
pid=$!
at_exit "kill -9 $pid 2>/dev/null"
i=0 # wait until hugexec holds it (traced, in a tracing stop)
while [ $i -lt 100 ]; do
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$pid/status 2>/dev/null)
	tp=$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$pid/status 2>/dev/null)
	[ "$st" = t ] && [ "${tp:-0}" != 0 ] && break
	sleep 0.02; i=$((i + 1))
done
[ $i -lt 100 ] || fail "never saw the program held by hugexec"
sleep 0.3
kill -USR1 $pid; kill -WINCH $pid; kill -STOP $pid
# after the pause hugexec detaches; the SIGSTOP must then stop it
i=0
while [ $i -lt 200 ]; do
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$pid/status 2>/dev/null)
	tp=$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$pid/status 2>/dev/null)
	[ "$st" = T ] && [ "$tp" = 0 ] && break
	sleep 0.02; i=$((i + 1))
done
[ $i -lt 200 ] || fail "the SIGSTOP sent during injection did not stop it afterwards (state $st, tracer $tp)"
kill -CONT $pid
wait $pid; rc=$?
[ $rc = 0 ] || fail "status $rc: $(cat "$TMP/err")"
[ "$(cat "$TMP/out")" = "usr1=1 winch=1 cont=1" ] || fail "signals delivered: $(cat "$TMP/out")"
grep -q hugexec "$TMP/err" && fail "hugexec complained: $(cat "$TMP/err")"
exit 0
