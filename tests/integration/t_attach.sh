# hugexec attach / undo on running, multi-threaded processes: 8 threads
# checking their own work through 30 MB of text while attach and undo
# alternate (ATTACH_ROUNDS, default 200; every 10th attach also moves all
# 8192 functions into an island): no crash, no wrong checksum, the text on
# 2 MB pages after each attach and the file's after each undo; status
# tells which; bad input leaves a live process unchanged. The layout:
# threads standing in, or returning into, the bytes an entry patch would
# take keep those functions home; a registration call that cannot finish
# (a lock the stopped thread holds) is given up; a kill of hugexec waits.
. tests/integration/lib.sh
# start_waiting OUT CMD...: CMD in the background, its stdout in OUT, its
# PID in q, killed at exit; back once it says "running" (up to 5 s)
start_waiting() {
	out=$1; shift
	"$@" >"$out" &
	q=$!
	at_exit "kill $q 2>/dev/null"
	wait_for "$out" running 100
}
need_ptrace
need_thp
bt=$P/bigthreads_eh
rounds=${ATTACH_ROUNDS:-200}
huge_kb() { awk '/^AnonHugePages:|^Private_Hugetlb:|^Shared_Hugetlb:|^FilePmdMapped:/ { k += $2 } END { print k + 0 }' /proc/$1/smaps; }

# bad input: each a clear message, exit 1, and a live process unchanged
"$H" attach 999999999 2>"$TMP/e"; rc=$?
[ $rc = 2 ] || [ $rc = 1 ] || fail "absurd PID: $rc"
"$H" attach 4000000 2>"$TMP/e"; [ $? = 1 ] && grep -q 'no such process' "$TMP/e" || fail "no such PID: $(cat "$TMP/e")"
"$H" attach 2>/dev/null; [ $? = 2 ] || fail "no PID: not a usage error"
"$H" undo 4000000 2>"$TMP/e"; [ $? = 1 ] || fail "undo of no such PID"
sleep 30 &
sp=$!
at_exit "kill $sp 2>/dev/null"
w=0; while [ $w -lt 50 ] && [ "$(readlink /proc/$sp/exe)" = "$(readlink /proc/$$/exe)" ]; do sleep 0.05; w=$((w + 1)); done
cp /proc/$sp/maps "$TMP/sp.before"
if is_root && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$H" attach $sp 2>"$TMP/e"; rc=$?
	[ $rc = 1 ] && grep -q 'cannot trace it\|cannot see' "$TMP/e" || fail "another user's process: $rc $(cat "$TMP/e")"
fi
"$H" undo $sp 2>"$TMP/e"; [ $? = 1 ] && grep -q 'no record of an attach' "$TMP/e" || fail "undo without attach: $(cat "$TMP/e")"
# an undo record someone else put in /tmp is never used
if is_root; then
	printf 'hugexec-undo 1\nstate attached\nregion 0x400000 0x200000 0 0 0 1 1 1.0 /bin/true\n' \
		>/tmp/hugexec-$sp.undo
	at_exit "rm -f /tmp/hugexec-$sp.undo"
	chown 65534 /tmp/hugexec-$sp.undo
	"$H" undo $sp 2>"$TMP/e"; rc=$?
	[ $rc = 1 ] && grep -q 'undo record was not written by this user' "$TMP/e" || fail "a planted undo record: $rc $(cat "$TMP/e")"
	chown 0 /tmp/hugexec-$sp.undo; chmod 0666 /tmp/hugexec-$sp.undo
	"$H" undo $sp 2>"$TMP/e"; rc=$?
	[ $rc = 1 ] && grep -q 'undo record was not written by this user' "$TMP/e" || fail "a writable undo record: $rc $(cat "$TMP/e")"
	rm -f /tmp/hugexec-$sp.undo
fi
if command -v strace >/dev/null; then
	strace -qq -o /dev/null -p $sp &
	st=$!
	w=0; while [ $w -lt 50 ] && ! grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/$sp/status; do sleep 0.05; w=$((w + 1)); done
	"$H" attach $sp 2>"$TMP/e"; rc=$?
	kill $st; wait $st 2>/dev/null
	[ $rc = 1 ] && grep -q 'already traced' "$TMP/e" || fail "already traced: $rc $(cat "$TMP/e")"
fi
# one that exits while being attached: its threads end under our hands
"$P/bigthreads" --threads 4 --seconds 0.3 >/dev/null &
ex=$!
sleep 0.25
"$H" attach $ex 2>"$TMP/e"; rc=$?
wait $ex; xrc=$?
[ $xrc = 0 ] || [ $rc = 0 ] || fail "a process exiting while attached: attach $rc, its status $xrc"
cat /proc/$sp/maps >"$TMP/sp.after"; cmp -s "$TMP/sp.after" "$TMP/sp.before" || fail "a refused attach changed the process: $(diff "$TMP/sp.after" "$TMP/sp.before")"
# a process sharing its memory (clone(CLONE_VM), not a thread): it would
# run on through the swap (the old build attached when there were threads)
"$P/clonevm" --hold >"$TMP/cv.out" &
cv=$!
at_exit "kill $cv 2>/dev/null"
wait_for "$TMP/cv.out" holding 100
cat /proc/$cv/maps >"$TMP/cv.before"
"$H" attach $cv 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q 'other process shares its memory' "$TMP/e" || fail "a process sharing the memory: $rc $(cat "$TMP/e")"
cat /proc/$cv/maps >"$TMP/cv.after"
cmp -s "$TMP/cv.before" "$TMP/cv.after" || fail "a refused attach changed the sharing process"
kill -USR2 $cv; wait $cv; rc=$?
[ $rc = 0 ] && grep -q 'started=1 reaped=1' "$TMP/cv.out" || fail "clonevm after the refusal: $rc $(cat "$TMP/cv.out")"
# a zombie (exited, not reaped)
sh -c 'sleep 0.1 & exec sleep 3' &
zp=$!
sleep 0.5
z=$(pgrep -P $zp | head -n 1)
if [ -n "$z" ] && grep -q '^State:.*Z' /proc/$z/status; then
	"$H" attach $z 2>"$TMP/e"; [ $? = 1 ] || fail "attach of a zombie: $(cat "$TMP/e")"
fi
kill $zp 2>/dev/null; wait $zp 2>/dev/null

# the stress: attach and undo, $rounds times each, under 8 busy threads
start_waiting "$TMP/bt.out" "$bt" --threads 8 --seconds 3600
p=$q
i=0 maxheld=0 layouts=0
while [ $i -lt "$rounds" ]; do
	lay=; [ $((i % 10)) = 5 ] && lay=--move=all
	"$H" attach -v --backing=thp $lay $p 2>"$TMP/a.err" || fail "attach $i: $(cat "$TMP/a.err")"
	[ "$(huge_kb $p)" -gt 0 ] || fail "attach $i: no huge pages: $(cat "$TMP/a.err")"
	if [ -n "$lay" ]; then
		grep -q 'layout: 819[0-9] functions' "$TMP/a.err" || fail "attach $i: no island: $(cat "$TMP/a.err")"
		layouts=$((layouts + 1))
	fi
	if [ $i = 0 ]; then
		"$H" status $p >"$TMP/st1" || fail "status"
		grep -q "^$p bigthreads_eh: attached" "$TMP/st1" || fail "status after attach: $(head -2 "$TMP/st1")"
		# perf names the copies' functions
		grep -q '^[0-9a-f]* [0-9a-f]* bt_f[0-9]*$' /tmp/perf-$p.map 2>/dev/null ||
			fail "no perf map for the attached process: $(cat "$TMP/a.err")"
	fi
	held=$(sed -n 's/.* held for \([0-9]*\)\..*/\1/p' "$TMP/a.err")
	[ "${held:-0}" -gt "$maxheld" ] && maxheld=$held
	"$H" undo $p 2>"$TMP/u.err" || fail "undo $i: $(cat "$TMP/u.err")"
	# (the islands stay, 2 MB each)
	[ "$(huge_kb $p)" = $((layouts * 2048)) ] || fail "undo $i: still $(huge_kb $p) KB on huge pages"
	[ -z "$lay" ] || grep -q 'hot island (2048 KB) stays mapped' "$TMP/u.err" || fail "undo $i: $(cat "$TMP/u.err")"
	kill -0 $p 2>/dev/null || fail "the program died in round $i: $(cat "$TMP/bt.out")"
	i=$((i + 1))
done
"$H" status $p >"$TMP/st2"
grep -q "^$p bigthreads_eh: undone" "$TMP/st2" || fail "status after undo: $(head -2 "$TMP/st2")"
kill -TERM $p
wait $p; rc=$?
[ $rc = 0 ] && grep -q '^bigthreads: ok threads=8' "$TMP/bt.out" || fail "the program: status $rc: $(cat "$TMP/bt.out")"
note "$rounds attach/undo rounds under 8 threads ($layouts with 8192 functions moved): every checksum right; threads held at most $maxheld ms in an attach ($(grep -o 'rounds=[0-9]*' "$TMP/bt.out"))"

# two attaches, then one undo: the second (a layout) keeps the first's
# regions in the record (it used to replace the record: the text stayed
# on its copies)
start_waiting "$TMP/bt3.out" "$bt" --threads 2 --seconds 3600
"$H" attach --backing=thp $q 2>"$TMP/a3.err" || fail "first attach: $(cat "$TMP/a3.err")"
"$H" attach -v --move=all --min-size=4k $q 2>"$TMP/a4.err" || fail "second attach: $(cat "$TMP/a4.err")"
isl=$(sed -n 's/.*layout: [0-9]* functions ([^)]*) in \([0-9]*\) island.*/\1/p' "$TMP/a4.err" | head -n 1)
[ "${isl:-0}" -gt 0 ] || fail "second attach: no island: $(cat "$TMP/a4.err")"
"$H" undo $q 2>"$TMP/u3.err" || fail "undo of two attaches: $(cat "$TMP/u3.err")"
[ "$(huge_kb $q)" = $((isl * 2048)) ] || fail "undo of two attaches left $(huge_kb $q) KB on huge pages ($isl islands of 2048): $(cat "$TMP/u3.err")"
kill -TERM $q; wait $q; rc=$?
[ $rc = 0 ] && grep -q '^bigthreads: ok threads=2' "$TMP/bt3.out" || fail "after two attaches and an undo: $rc $(cat "$TMP/bt3.out")"

# an undo refused: the file was replaced meanwhile; its copy stays
cp "$bt" "$TMP/bt2"
start_waiting "$TMP/bt2.out" "$TMP/bt2" --threads 2 --seconds 3600
"$H" attach $q 2>"$TMP/a2.err" || fail "attach: $(cat "$TMP/a2.err")"
mv "$TMP/bt2" "$TMP/bt2.old" && cp "$TMP/bt2.old" "$TMP/bt2"
"$H" undo $q 2>"$TMP/u2.err"; rc=$?
[ $rc = 1 ] && grep -q 'another file is there now; its copy at' "$TMP/u2.err" || fail "undo of a replaced file: $rc $(cat "$TMP/u2.err")"
[ "$(huge_kb $q)" -gt 0 ] || fail "the refused undo dropped the copy"
kill -TERM $q; wait $q; rc=$?
[ $rc = 0 ] || fail "after a refused undo: $(cat "$TMP/bt2.out")"

# the layout in a running process: a thread blocked in a syscall inside
# pw_pause's first 5 bytes, another with its return address inside
# pw_call's, a third the same in pw_call_alt but under a signal handler
# that runs on an alternate stack; each function stays home (patched, any
# of the threads would resume in the middle of the jmp: the old builds
# crashed, SIGILL, the last one for the third thread), every other
# function moves; undo puts the file's pages back under the patches. A C
# program without libgcc_s gets its island, unregistered (-v says so).
pw=$P/patchwait
anon_text_kb() { awk -v f="${2:-$pw}" '$6 == f && $2 ~ /x/ { on = 1; next } /^[0-9a-f]+-/ { on = 0 } on && /^Anonymous:/ { k += $2 } END { print k + 0 }' /proc/$1/smaps; }
start_waiting "$TMP/pw.out" "$pw"
"$H" attach -v --move=all --min-size=4k $q 2>"$TMP/pa.err"; rc=$?
[ $rc = 0 ] && grep -q 'layout: [0-9]* functions' "$TMP/pa.err" || fail "attach with a layout: $rc $(cat "$TMP/pa.err")"
grep -q '3 functions stay where they were: a thread stood' "$TMP/pa.err" || fail "threads in patch bytes: $(cat "$TMP/pa.err")"
grep -q 'has not loaded libgcc_s.*not registered' "$TMP/pa.err" || fail "no libgcc_s: not said: $(cat "$TMP/pa.err")"
"$H" status $q >"$TMP/pst" && grep -q 'hot island' "$TMP/pst" || fail "status shows no island: $(cat "$TMP/pst")"
[ "$(anon_text_kb $q)" -gt 0 ] || fail "no patched page in the text"
"$H" undo $q 2>"$TMP/pu.err" || fail "undo after a layout: $(cat "$TMP/pu.err")"
grep -q 'mapped, no longer entered' "$TMP/pu.err" || fail "undo does not say the island stays: $(cat "$TMP/pu.err")"
[ "$(anon_text_kb $q)" = 0 ] || fail "undo left $(anon_text_kb $q) KB of patched text"
kill -USR2 $q; wait $q; rc=$?
[ $rc = 0 ] && grep -q 'patchwait: ok' "$TMP/pw.out" || fail "patchwait after attach and undo: $rc $(cat "$TMP/pw.out")"
# the same threads woken while the layout is in: each returns through its
# function's own bytes
start_waiting "$TMP/pw4.out" "$pw"
"$H" attach --move=all --min-size=4k $q 2>"$TMP/pa4.err" || fail "attach: $(cat "$TMP/pa4.err")"
kill -USR2 $q; wait $q; rc=$?
[ $rc = 0 ] && grep -q 'patchwait: ok' "$TMP/pw4.out" || fail "patchwait woken with the layout in: $rc $(cat "$TMP/pw4.out")"
# the unwinder's registration in a process whose main thread holds
# malloc's lock (here: its malloc made to wait forever): it mallocs
# nothing (__register_frame_info, the object in a page of hugexec's; the
# previous build's __register_frame waited, and gave up after 1 s)
start_waiting "$TMP/pw2.out" "${pw}_eh" --hold-malloc
"$H" attach -v --move=all --min-size=4k $q 2>"$TMP/pm.err"; rc=$?
[ $rc = 0 ] && grep -q 'layout: [0-9]* functions' "$TMP/pm.err" && ! grep -q 'did not return' "$TMP/pm.err" ||
	fail "registration with malloc's lock held: $rc $(cat "$TMP/pm.err")"
kill -USR2 $q; wait $q; rc=$?
[ $rc = 0 ] && grep -q 'patchwait: ok' "$TMP/pw2.out" || fail "patchwait --hold-malloc: $rc $(cat "$TMP/pw2.out")"
# a registration call that never returns (test build: it calls pause):
# given up after 1 s, no patch written; a SIGTERM to hugexec meanwhile
# waits until the process is let go (before: EXITKILL took it along)
start_waiting "$TMP/pw3.out" "${pw}_eh"
HUGEXEC_TEST_STUCK_CALL=pause "$HT" attach --move=all --min-size=4k $q 2>"$TMP/ps.err" &
ap=$!
sleep 0.5
kill -TERM $ap
wait $ap; rc=$?
grep -q 'did not return within 1000 ms' "$TMP/ps.err" || fail "a registration that never returns: $rc $(cat "$TMP/ps.err")"
[ "$(anon_text_kb $q "${pw}_eh")" = 0 ] || fail "a given-up layout patched the text"
kill -USR2 $q; wait $q; rc=$?
[ $rc = 0 ] && grep -q 'patchwait: ok' "$TMP/pw3.out" || fail "patchwait after a given-up call: $rc $(cat "$TMP/pw3.out")"
note "layout attached: threads in patch bytes (one under a handler on an alternate stack) keep 3 functions home, woken with the layout in they return through their own bytes, undo drops the patches, a call that never returns is given up"
# what moved functions must still do (t_layout's cases: a C++ exception
# through moved frames with destructors, backtrace depth, cancellation,
# setjmp, a signal handler, threads), in a process attached before it
# runs them: the unwind records registered with __register_frame_info
lc=$P/layout_cases
"$lc" >"$TMP/lc1.out" 2>/dev/null
"$lc" --wait >"$TMP/lc2.out" 2>"$TMP/lc2.err" &
q=$!
at_exit "kill $q 2>/dev/null"
wait_for "$TMP/lc2.err" waiting 100
"$H" attach -v --move=all --min-size=4k $q 2>"$TMP/la.err"; rc=$?
kill -USR2 $q; wait $q; lrc=$?
[ $rc = 0 ] && grep -q 'layout: [0-9]* functions' "$TMP/la.err" || fail "layout_cases: no layout: $rc $(cat "$TMP/la.err")"
grep -q '^layout_cases: [89] of 10 functions patched' "$TMP/lc2.err" || fail "layout_cases: $(cat "$TMP/lc2.err")"
[ $lrc = 3 ] && cmp -s "$TMP/lc1.out" "$TMP/lc2.out" || fail "layout_cases attached: $lrc $(diff "$TMP/lc1.out" "$TMP/lc2.out")"

# node, with threads of its own, attached mid-run: the same output
if command -v node >/dev/null; then
	js='let s=0; const t=Date.now(); while (Date.now()-t < 1500) { for (let i=0;i<1e5;i++) s=(s*31+i)%1000003; } let h=0; for (let i=0;i<2e6;i++) h=(h*33+i)%1000000007; try { JSON.parse("{bad"); } catch (e) { h += e.name.length; } console.log(h);'
	node -e "$js" >"$TMP/n1.out"
	node -e "$js" >"$TMP/n2.out" &
	np=$!
	sleep 0.7
	"$H" attach -v $np 2>"$TMP/na.err"; arc=$?
	wait $np; nrc=$?
	[ $nrc = 0 ] && cmp -s "$TMP/n1.out" "$TMP/n2.out" || fail "node attached mid-run: $nrc $(cat "$TMP/n2.out") $(cat "$TMP/na.err")"
	note "node attached mid-run (attach status $arc): same output; $(tail -n 2 "$TMP/na.err" | head -n 1)"
	# and with every function it can move moved (node maps part of its text
	# again, far away, at run time: the old build's helper crashed on it)
	node -e "$js" >"$TMP/n3.out" &
	np=$!
	sleep 0.7
	"$H" attach -v --move=all $np 2>"$TMP/nl.err"; arc=$?
	wait $np; nrc=$?
	[ $nrc = 0 ] && cmp -s "$TMP/n1.out" "$TMP/n3.out" || fail "node attached with a layout: $nrc $(cat "$TMP/n3.out") $(cat "$TMP/nl.err")"
	[ $arc = 0 ] && grep -q 'layout: [0-9]* functions' "$TMP/nl.err" || fail "node: no layout: $arc $(cat "$TMP/nl.err")"
	note "node attached mid-run with --move=all: same output; $(grep -o 'layout: [0-9]* functions[^;]*' "$TMP/nl.err" | tail -n 1)"
fi
exit 0
