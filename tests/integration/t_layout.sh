# The hot island (--profile's layout, --move=all's test mode): moved
# functions do what they did - switch tables, recursion, tail calls,
# function pointers compared, setjmp/longjmp, signal handlers, C++
# exceptions thrown through them, backtrace(), pthread_cancel, pthread_exit,
# threads - in a C++ program, in perl and in python, and in this project's
# own unit tests; a profile moves its hot functions only; an island the
# helper tampered with is refused and the program runs unmodified.
. tests/integration/lib.sh
need_ptrace
prog=$P/layout_cases

capture plain "$prog"
grep -q "0 of 10 functions patched" "$TMP/plain.err" || fail "plain run: $(cat "$TMP/plain.err")"
capture all "$H" -v --move=all --min-size=0 "$prog"
same_run plain all
n=$(sed -n 's/^layout_cases: \([0-9]*\) of 10 functions patched$/\1/p' "$TMP/all.err")
[ "${n:-0}" -ge 7 ] || fail "--move=all patched ${n:-no} of its 10 functions: $(cat "$TMP/all.err")"
grep -q '^hugexec: .*: layout: [0-9]* functions ([0-9.]* [KM]B) in [12] islands\?, ' "$TMP/all.err" ||
	fail "no layout summary: $(cat "$TMP/all.err")"
note "$(grep -o 'layout: [0-9]* functions ([^)]*) in [0-9] islands\?' "$TMP/all.err")"

# --dry-run -v: the layout with its reasons, nothing moved
capture dry "$H" -v --dry-run --move=all --min-size=0 "$prog"
same_run plain dry
grep -q "0 of 10 functions patched" "$TMP/dry.err" || fail "--dry-run moved code: $(cat "$TMP/dry.err")"
grep -q "layout: [0-9]* functions moved (.*) into [0-9] islands\? (.*); stayed: .*short branch leaves it: [0-9]" "$TMP/dry.err" ||
	fail "--dry-run -v: no layout with reasons: $(cat "$TMP/dry.err")"

# a profile of two of its functions: those two move, the others stay
id=$(readelf -n "$prog" | sed -n 's/.*Build ID: *//p')
off_of() { # file offset of the function symbol $1 of $prog
	va=$(readelf -sW "$prog" | awk -v n="$1" '$8 == n && $4 == "FUNC" { print $2; exit }')
	[ -n "$va" ] || return 0
	readelf -lW "$prog" | grep '^ *LOAD.* R E ' | while read -r _ o v _ fs _; do
		if [ $((0x$va)) -ge $((v)) ] && [ $((0x$va)) -lt $((v + fs)) ]; then
			printf '0x%x\n' $((0x$va - v + o))
		fi
	done
}
f1=$(off_of _ZL8dispatchii); f2=$(off_of _ZL3fibi)
[ -n "$f1" ] && [ -n "$f2" ] || fail "no dispatch or fib in $prog"
printf 'hugexec-profile 1\nevent task-clock\nlost 0\nunattributed 0\nobject %s %s\nsamples 1000\nfunc %s 32 600 _ZL8dispatchii\nfunc %s 32 400 _ZL3fibi\nend\n' \
	"$id" "$prog" "$f1" "$f2" > "$TMP/two.prof"
"$H" profile check "$TMP/two.prof" "$prog" >/dev/null || fail "test profile does not match: $(cat "$TMP/two.prof")"
capture prof "$H" -v --profile="$TMP/two.prof" "$prog"
same_run plain prof
grep -q "2 of 10 functions patched" "$TMP/prof.err" || fail "--profile: not exactly its 2 functions moved: $(cat "$TMP/prof.err")"
grep -q "layout: 2 functions (.*) in 1 island, 2 MB of 2 MB on 2 MB pages, 100.0% of the profile's samples" "$TMP/prof.err" ||
	fail "--profile: layout summary: $(cat "$TMP/prof.err")"
# hugexec status shows the island, from the perf map's mark
mkfifo "$TMP/hold" "$TMP/hold2"
"$H" --profile="$TMP/two.prof" "$prog" --hold < "$TMP/hold" > /dev/null 2>&1 &
pid=$!
exec 9> "$TMP/hold"
n=0
until grep -q ' hugexec.island:' "/tmp/perf-$pid.map" 2>/dev/null || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
"$H" status "$pid" > "$TMP/status.out" 2>&1
exec 9>&-
wait $pid
grep -q ' thp  *hot island: 2 functions, 0 KB, 100.0% of the profile.s samples$' "$TMP/status.out" ||
	fail "status: no island: $(cat "$TMP/status.out")"
capture off "$H" -v --profile="$TMP/two.prof" --layout=off "$prog"

# gdb names moved frames once given the islands' symbol files: the main
# thread waits in read(), called from main, both moved
if command -v gdb >/dev/null; then
	"$H" --move=all --min-size=0 "$prog" --hold < "$TMP/hold2" > /dev/null 2>&1 &
	pid=$!
	exec 8> "$TMP/hold2"
	n=0
	# two islands (the executable's, the libraries'), two files
	until [ "$(ls /tmp/hugexec-$pid.sym /tmp/hugexec-$pid.*.sym 2>/dev/null | wc -l)" = 2 ] || [ $n -ge 100 ]; do
		sleep 0.1; n=$((n + 1))
	done
	syms=$(for f in /tmp/hugexec-$pid.sym /tmp/hugexec-$pid.*.sym; do [ -e "$f" ] && printf -- "-ex 'add-symbol-file %s' " "$f"; done)
	gdb -batch -p $pid -ex bt > "$TMP/gdb0" 2>&1
	eval gdb -batch -p $pid $syms -ex bt > "$TMP/gdb1" 2>&1
	exec 8>&-
	wait $pid
	rm -f /tmp/hugexec-$pid.sym /tmp/hugexec-$pid.*.sym
	grep -q '^#[0-9].* in ?? ()' "$TMP/gdb0" || fail "gdb named moved frames without the symbol files: $(cat "$TMP/gdb0")"
	grep -q '^#[0-9].* in main ' "$TMP/gdb1" || fail "gdb: no main with the symbol files: $(cat "$TMP/gdb1")"
	grep -q '^#[0-9].* in ?? ()' "$TMP/gdb1" && fail "gdb: a frame without a name: $(cat "$TMP/gdb1")"
	note "gdb: $(grep -c '^#' "$TMP/gdb1") frames named, $(grep -c '^#' "$TMP/gdb0") without the symbol files ($(grep -c '?? ()' "$TMP/gdb0") unnamed)"
fi
grep -q "0 of 10 functions patched" "$TMP/off.err" || fail "--layout=off moved code: $(cat "$TMP/off.err")"

# every failure while the island goes in: the target's calls (mmap,
# madvise, and those of the unwinder it calls), then the tracer's own
# (ptrace: the injected calls, the patches through /proc/PID/mem): the
# program runs as plainly each time, the island whole or not at all
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
	HUGEXEC_TEST_FAIL_SYSCALL=$k ASAN_OPTIONS=detect_leaks=0 capture fs "$HT" --no-perf-map --profile="$TMP/two.prof" "$prog"
	same_run plain fs || fail "FAIL_SYSCALL=$k"
	grep -q "^layout_cases: [02] of 10 functions patched$" "$TMP/fs.err" || fail "FAIL_SYSCALL=$k: half an island: $(cat "$TMP/fs.err")"
done
runs=0 killed=0
for kind in ptrace:200:3 vm:40:2; do
	last=${kind#*:} step=${last#*:} last=${last%%:*} kind=${kind%%:*}
	k=1
	while [ $k -le "$last" ]; do
		HUGEXEC_TEST_FAIL_OP=$kind:$k ASAN_OPTIONS=detect_leaks=0 capture fo "$HT" --no-perf-map --profile="$TMP/two.prof" "$prog"
		rc=$(cat "$TMP/fo.rc")
		if [ "$rc" = 125 ] || [ "$rc" = 137 ]; then
			grep -q 'could not restore the program' "$TMP/fo.err" ||
				fail "$kind:$k: status $rc without saying why: $(cat "$TMP/fo.err")"
			killed=$((killed + 1))
		else
			same_run plain fo || fail "FAIL_OP=$kind:$k"
			grep -q "^layout_cases: [02] of 10 functions patched$" "$TMP/fo.err" ||
				fail "FAIL_OP=$kind:$k: half an island: $(cat "$TMP/fo.err")"
		fi
		runs=$((runs + 1)) k=$((k + step))
	done
done
note "layout: 12 failing calls of the target and $runs of the tracer, each a whole island or none ($killed stopped where they could not be restored)"

# islands the helper tampered with: refused by the loader, program unmodified
for evil in island-code island-jump island-eh island-personality; do
	HUGEXEC_TEST_EVIL_PLAN=$evil ASAN_OPTIONS=detect_leaks=0 capture $evil "$HT" --move=all --min-size=0 "$prog"
	same_run plain $evil
	grep -q "0 of 10 functions patched" "$TMP/$evil.err" || fail "$evil: code moved: $(cat "$TMP/$evil.err")"
	grep -q "^hugexec: .*plan group [0-9]* (island at 0x[0-9a-f]*): .*; running it unmodified$" "$TMP/$evil.err" ||
		fail "$evil: not refused with one line: $(cat "$TMP/$evil.err")"
done

# real programs: perl, python, and this project's unit tests (sanitizers on)
cat > "$TMP/t.pl" <<'EOF'
my %h; for my $i (1..100000) { $h{$i % 997} .= chr(65 + $i % 26) }
my $s = 0; $s += length($h{$_}) for keys %h; print "$s\n";
my @a = sort { $a <=> $b } map { ($_ * 7919) % 10007 } 1..20000; print "$a[0] $a[-1]\n";
eval { die "boom\n" }; print "eval: $@"; printf("%.6f\n", atan2(1, 1) * 4);
EOF
capture perl0 perl "$TMP/t.pl"
capture perl1 "$H" --move=all --min-size=0 perl "$TMP/t.pl"
same_run perl0 perl1
if [ -x /usr/bin/python3 ]; then
	cat > "$TMP/t.py" <<'EOF'
import json, re, zlib, hashlib, fractions, collections
d = {str(i): [i, i * i, str(i) * 3] for i in range(5000)}
s = json.dumps(d, sort_keys=True)
print(hashlib.sha256(s.encode()).hexdigest()[:16], zlib.crc32(zlib.compress(s.encode())))
print(len(re.findall(r"\d{3}", s)), sum(fractions.Fraction(1, k) for k in range(1, 60)))
try:
    raise ValueError("x")
except ValueError as e:
    print("caught", e, collections.Counter("abracadabra").most_common(2))
EOF
	capture py0 /usr/bin/python3 "$TMP/t.py"
	capture py1 "$H" --move=all --min-size=0 /usr/bin/python3 "$TMP/t.py"
	same_run py0 py1
	# CPython's own tests, where Debian's testsuite package is installed
	if /usr/bin/python3 -c 'import test.test_json' 2>/dev/null; then
		capture pyt "$H" --move=all --min-size=0 /usr/bin/python3 -m test -q test_json test_re test_exceptions test_unicode test_bisect test_heapq
		[ "$(cat "$TMP/pyt.rc")" = 0 ] || fail "CPython tests under --move=all: $(tail -n 20 "$TMP/pyt.out" "$TMP/pyt.err")"
	else
		note "no CPython testsuite (libpython3-testsuite): its tests are not run"
	fi
fi
# node: its text is its second r-x mapping (the first is a small one), and
# it has more functions than one plan carries: both once kept it home
if command -v node >/dev/null; then
	js='let s = 0; for (let i = 0; i < 1e6; i++) s += i % 7; try { throw new Error("x") } catch (e) { console.log("caught", s, e.message) }'
	capture node0 node -e "$js"
	capture node1 "$H" -v --move=all --min-size=0 node -e "$js"
	same_run node0 node1
	n=$(sed -n 's/^hugexec: node: layout: \([0-9]*\) functions moved.*over the plan.s limit: [0-9]*.*/\1/p' "$TMP/node1.err")
	[ "${n:-0}" -gt 20000 ] || fail "node: its own functions did not move: $(cat "$TMP/node1.err")"
	note "node: $n functions moved, the rest over the plan's limit"
else
	note "no node: its case is not run"
fi
for t in build/test/unit/test_*; do
	capture unit "$H" --move=all --min-size=0 "$t"
	[ "$(cat "$TMP/unit.rc")" = 0 ] || fail "$t under --move=all: $(tail -n 20 "$TMP/unit.out" "$TMP/unit.err")"
done
exit 0
