# --log=FILE and --syslog: hugexec's lines go there, one summary per
# launch at least; the program's own stderr is untouched; an unusable log
# is said on stderr and the program runs.
. tests/integration/lib.sh
need_ptrace
need_thp
big=$P/bigtext-pie
capture plain "$big" --calls 1000
capture l "$H" --log="$TMP/hx.log" "$big" --calls 1000
same_run plain l
[ ! -s "$TMP/l.err" ] || fail "--log: stderr: $(cat "$TMP/l.err")"
[ "$(grep -c . "$TMP/hx.log")" = 1 ] && grep -q "^hugexec: $big: .* on 2 MB pages" "$TMP/hx.log" ||
	fail "--log: $(cat "$TMP/hx.log")"
# appended; a failure (--strict) is logged too; -q keeps it quiet
HUGEXEC_TEST_FAIL_SYSCALL=2 capture s "$HT" --log="$TMP/hx.log" --strict --backing=thp "$big" --calls 1000
[ "$(cat "$TMP/s.rc")" = 125 ] && [ ! -s "$TMP/s.err" ] || fail "--strict: $(cat "$TMP/s.rc") $(cat "$TMP/s.err")"
grep -q 'strict: exit 125' "$TMP/hx.log" || fail "the failure is not in the log: $(cat "$TMP/hx.log")"
# the program's stderr is its own
"$H" --log="$TMP/hx2.log" --follow-exec=0 sh -c 'echo mine >&2' 2>"$TMP/own.err"
[ "$(cat "$TMP/own.err")" = mine ] || fail "the program's stderr: $(cat "$TMP/own.err")"
grep -q 'nothing to remap' "$TMP/hx2.log" || fail "small program: $(cat "$TMP/hx2.log")"
# a log that cannot be opened: said, and the program runs
capture bad "$H" --log=/nonexistent/dir/x.log "$big" --calls 1000
same_run plain bad
grep -q -- '--log: /nonexistent/dir/x.log: No such file' "$TMP/bad.err" || fail "bad log: $(cat "$TMP/bad.err")"
# --syslog: to /dev/log, where this test can listen (no syslog daemon)
if [ ! -e /dev/log ] && is_root && command -v python3 >/dev/null; then
	python3 - "$TMP/sys.out" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(20)
with open(sys.argv[1], "w") as out:
    try:
        out.write(s.recv(4096).decode(errors="replace") + "\n")
    except socket.timeout:
        pass
s.close()
PYEOF
	lp=$!
	at_exit "rm -f /dev/log"
	w=0; while [ $w -lt 50 ] && [ ! -S /dev/log ]; do sleep 0.1; w=$((w + 1)); done
	capture sy "$H" --syslog "$big" --calls 1000
	wait $lp
	rm -f /dev/log
	same_run plain sy
	[ ! -s "$TMP/sy.err" ] || fail "--syslog: stderr: $(cat "$TMP/sy.err")"
	grep -q "hugexec\[[0-9]*\]: $big: .* on 2 MB pages" "$TMP/sys.out" || fail "--syslog: $(cat "$TMP/sys.out")"
else
	note "a syslog daemon owns /dev/log (or not root): --syslog is not checked"
fi
exit 0
