# CMD keeps hugexec's PID, parent, stdin, exit status and death by signal;
# no zombie is left under it; it is not traced once it runs.
. tests/integration/lib.sh
need_ptrace
out=$(sh -c 'echo $$; exec "$1" sh -c "echo \$\$"' sh "$H")
[ "$(echo "$out" | sed -n 1p)" = "$(echo "$out" | sed -n 2p)" ] || fail "PID changed: $out"
"$H" sh -c 'exit 42'; rc=$?
[ $rc = 42 ] || fail "exit 42 came back as $rc"
"$H" sh -c 'kill -TERM $$'; rc=$?
[ $rc = 143 ] || fail "death by SIGTERM came back as $rc"
"$H" sh -c 'kill -SEGV $$'; rc=$?
[ $rc = 139 ] || fail "death by SIGSEGV came back as $rc"
[ "$(printf hi | "$H" cat)" = hi ] || fail "stdin not passed through"
# the program sees exactly the descriptors it would have, even with some closed
# (ls itself, no pipeline: a shell's pipe ends come and go while it runs)
fds() { "$@" ls /proc/self/fd <&- 3>/dev/null > "$TMP/fds"; tr "\n" " " < "$TMP/fds"; }
a=$(fds env) b=$(fds "$H")
[ "$a" = "$b" ] || fail "descriptors differ: $a vs $b"
# ...and no signal of ours pending, even with SIGCHLD blocked (it survives exec)
pending() { python3 -c 'import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD]); os.execvp(sys.argv[1], sys.argv[1:])' \
	"$@" sh -c 'grep -E "^(SigPnd|ShdPnd|SigBlk)" /proc/$$/status | tr "\n" " "'; }
[ "$(pending env)" = "$(pending "$H")" ] || fail "signal state differs: $(pending env) vs $(pending "$H")"
# started with SIGCHLD ignored (Python's subprocess and some daemons do
# that): hugexec still works, and the program inherits the SIG_IGN
ign() { python3 -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execvp(sys.argv[1], sys.argv[1:])' "$@"; }
[ "$(ign env sh -c 'grep ^SigIgn /proc/$$/status')" = "$(ign "$H" sh -c 'grep ^SigIgn /proc/$$/status')" ] ||
	fail "SIGCHLD disposition not passed on"
SELFCHECK=1 ign "$H" -v "$P/bigtext-pie" --calls 1000 >/dev/null 2>"$TMP/ign.err"
[ "$(field "$TMP/ign.err" huge_kb)" -gt 0 ] || fail "with SIGCHLD ignored: $(cat "$TMP/ign.err")"
[ "$("$H" sh -c 'echo $PPID')" = "$$" ] || fail "parent changed"
# A long-running remapped program: not traced, no children, same parent.
"$H" --backing=thp "$P/bigtext-pie" --calls 4000000000 >/dev/null &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_released $pid "$P/bigtext-pie"
[ -d /proc/$pid ] || fail "the program is gone"
grep -q '^TracerPid:[[:space:]]*0$' /proc/$pid/status || fail "still traced: $(grep TracerPid /proc/$pid/status)"
kids=$(cat /proc/$pid/task/*/children 2>/dev/null)
[ -z "$kids" ] || fail "children under the target: $kids"
[ "$(awk '{print $4}' /proc/$pid/stat)" = $$ ] || fail "parent is not the shell"
# an anonymous r-x mapping that is not the vDSO: the copy (THP here)
awk '$2 == "r-xp" && $5 == 0 && $6 !~ /^\[v/ { n++ } END { exit !n }' /proc/$pid/maps || fail "text was not remapped: $(cat /proc/$pid/maps)"
kill $pid; wait $pid 2>/dev/null
# The tracer is nobody's child in the program's family: its parent is
# whatever reaps orphans here (init or a subreaper), never the program.

# A process sharing the program's memory (a constructor's clone(CLONE_VM),
# not a thread: absent from /proc/PID/task) counts as a running thread:
# the text is left alone (it used to be moved under it), the program runs.
capture cv_plain "$P/clonevm"
capture cv "$H" -v "$P/clonevm"
same_run cv_plain cv
grep -q 'other process shares its memory' "$TMP/cv.err" || fail "clone(CLONE_VM) child not seen: $(cat "$TMP/cv.err")"
grep -q 'on 2 MB pages' "$TMP/cv.err" && fail "text moved under a process sharing it: $(cat "$TMP/cv.err")"

# A library constructor that forks: the child runs on, untraced, through
# the entry point hugexec armed in its parent - disarmed in its copy too
# (it used to die there), with the int3 and with the fault fallback.
capture fk_plain "$P/forkctor"
capture fk "$H" -v "$P/forkctor"
same_run fk_plain fk
grep -q 'forkctor: child ran main' "$TMP/fk.out" || fail "the child did not run: $(cat "$TMP/fk.out")"
grep -q 'on 2 MB pages' "$TMP/fk.err" || fail "forkctor not remapped: $(cat "$TMP/fk.err")"
exit 0
