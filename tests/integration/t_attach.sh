# hugexec attach / undo on running, multi-threaded processes: 8 threads
# checking their own work through 30 MB of text while attach and undo
# alternate (ATTACH_ROUNDS, default 200): no crash, no wrong checksum, the
# text on 2 MB pages after each attach and the file's after each undo;
# status tells which; bad input leaves a live process unchanged.
. tests/integration/lib.sh
need_ptrace
need_thp
bt=$P/bigthreads
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
"$bt" --threads 8 --seconds 3600 >"$TMP/bt.out" &
p=$!
at_exit "kill $p 2>/dev/null"
w=0; while [ $w -lt 50 ] && ! grep -q running "$TMP/bt.out"; do sleep 0.05; w=$((w + 1)); done
i=0 maxheld=0
while [ $i -lt "$rounds" ]; do
	"$H" attach -v --backing=thp $p 2>"$TMP/a.err" || fail "attach $i: $(cat "$TMP/a.err")"
	[ "$(huge_kb $p)" -gt 0 ] || fail "attach $i: no huge pages: $(cat "$TMP/a.err")"
	if [ $i = 0 ]; then
		"$H" status $p >"$TMP/st1" || fail "status"
		grep -q "^$p bigthreads: attached" "$TMP/st1" || fail "status after attach: $(head -2 "$TMP/st1")"
		# perf names the copies' functions
		grep -q '^[0-9a-f]* [0-9a-f]* bt_f[0-9]*$' /tmp/perf-$p.map 2>/dev/null ||
			fail "no perf map for the attached process: $(cat "$TMP/a.err")"
	fi
	held=$(sed -n 's/.* held for \([0-9]*\)\..*/\1/p' "$TMP/a.err")
	[ "${held:-0}" -gt "$maxheld" ] && maxheld=$held
	"$H" undo $p 2>"$TMP/u.err" || fail "undo $i: $(cat "$TMP/u.err")"
	[ "$(huge_kb $p)" = 0 ] || fail "undo $i: still $(huge_kb $p) KB on huge pages"
	kill -0 $p 2>/dev/null || fail "the program died in round $i: $(cat "$TMP/bt.out")"
	i=$((i + 1))
done
"$H" status $p >"$TMP/st2"
grep -q "^$p bigthreads: undone" "$TMP/st2" || fail "status after undo: $(head -2 "$TMP/st2")"
kill -TERM $p
wait $p; rc=$?
[ $rc = 0 ] && grep -q '^bigthreads: ok threads=8' "$TMP/bt.out" || fail "the program: status $rc: $(cat "$TMP/bt.out")"
note "$rounds attach/undo rounds under 8 threads: every checksum right; threads held at most $maxheld ms in an attach ($(grep -o 'rounds=[0-9]*' "$TMP/bt.out"))"

# an undo refused: the file was replaced meanwhile; its copy stays
cp "$bt" "$TMP/bt2"
"$TMP/bt2" --threads 2 --seconds 3600 >"$TMP/bt2.out" &
q=$!
at_exit "kill $q 2>/dev/null"
w=0; while [ $w -lt 50 ] && ! grep -q running "$TMP/bt2.out"; do sleep 0.05; w=$((w + 1)); done
"$H" attach $q 2>"$TMP/a2.err" || fail "attach: $(cat "$TMP/a2.err")"
mv "$TMP/bt2" "$TMP/bt2.old" && cp "$TMP/bt2.old" "$TMP/bt2"
"$H" undo $q 2>"$TMP/u2.err"; rc=$?
[ $rc = 1 ] && grep -q 'another file is there now; its copy at' "$TMP/u2.err" || fail "undo of a replaced file: $rc $(cat "$TMP/u2.err")"
[ "$(huge_kb $q)" -gt 0 ] || fail "the refused undo dropped the copy"
kill -TERM $q; wait $q; rc=$?
[ $rc = 0 ] || fail "after a refused undo: $(cat "$TMP/bt2.out")"

# node, with threads of its own, attached mid-run: the same output
if command -v node >/dev/null; then
	js='let s=0; const t=Date.now(); while (Date.now()-t < 1500) { for (let i=0;i<1e5;i++) s=(s*31+i)%1000003; } let h=0; for (let i=0;i<2e6;i++) h=(h*33+i)%1000000007; console.log(h);'
	node -e "$js" >"$TMP/n1.out"
	node -e "$js" >"$TMP/n2.out" &
	np=$!
	sleep 0.7
	"$H" attach -v $np 2>"$TMP/na.err"; arc=$?
	wait $np; nrc=$?
	[ $nrc = 0 ] && cmp -s "$TMP/n1.out" "$TMP/n2.out" || fail "node attached mid-run: $nrc $(cat "$TMP/n2.out") $(cat "$TMP/na.err")"
	note "node attached mid-run (attach status $arc): same output; $(tail -n 2 "$TMP/na.err" | head -n 1)"
fi
exit 0
