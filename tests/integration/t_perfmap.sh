# /tmp/perf-PID.map lists exactly the function symbols that overlap the
# copied text (nm's, relocated, with their sizes; functions crossing the
# copy's edges included) and belongs to the user the program ran as (a
# short-lived setuid program too); a map the program writes itself is never
# touched; no map for file-backed text or with --no-perf-map; root cannot
# be tricked into following a planted symlink or writing a file that is not
# a stale map of the program's user; a stripped file is said to be.
. tests/integration/lib.sh
need_ptrace
need_thp
command -v python3 >/dev/null || skip "python3 is missing"
command -v nm >/dev/null || skip "nm (binutils) is missing"
# Learn the PID the program will get: run it through a shell that prints $$.
run_pid() { sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$TMP/pid" "$@"; }
# The map is written once the program runs on, by the tracer: wait for its
# last words (up to 10 s). Programs are kept running until their map was
# checked: other test runs on this machine remove maps of gone processes.
settle() { i=0; while [ $i -lt 200 ] && ! grep -q "$2" "$1" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done; }
# Start "$@" in the background; $pid, $map. stop ends it.
start() { "$@" & pid=$!; map=/tmp/perf-$pid.map; at_exit "kill $pid 2>/dev/null; rm -f $map"; }
stop() { kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$map"; }
# The summary line says the text was copied onto THP (else a test proves nothing).
copied() { grep -q 'on 2 MB pages (thp' "$1" || fail "no THP copy: $(cat "$1")"; }

# The map must equal nm -S of $prog: every function (t/T/W) whose
# relocated [addr, addr+size) overlaps an anonymous r-x mapping (the copy)
# of the maps file; $2 = how many of them must cross a copy's edge.
nm_compare() {
	nm -S --defined-only "$1" > "$TMP/nm"
	python3 - "$1" "$TMP/maps" "$TMP/nm" "$map" "$2" <<'EOF' || fail "$map differs from nm $1"
import os, sys
prog, maps, nmf, mapf, want_cross = sys.argv[1:6]
real = os.path.realpath(prog)
copies, base = [], None
for l in open(maps, "rb").read().decode("latin-1").splitlines():
    f = l.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    if f[1] == "r-xp" and f[4] == "0" and len(f) == 5:  # no name: not [vdso]
        copies.append((lo, hi))
    if len(f) >= 6 and f[5] == real and int(f[2], 16) == 0 and base is None:
        base = lo
with open(prog, "rb") as e:
    pie = int.from_bytes(e.read(18)[16:18], "little") == 3  # ET_DYN
if not copies or base is None:
    sys.exit("no copy or no base in %s: %s %s" % (maps, copies, base))
bias = base if pie else 0
want, cross = set(), 0
for l in open(nmf):
    f = l.split()
    if len(f) != 4 or f[2] not in "tTW":
        continue
    at, size = int(f[0], 16) + bias, int(f[1], 16)
    for lo, hi in copies:
        if size and at < hi and at + size > lo:
            want.add("%x %x %s" % (at, size, f[3]))
            cross += at < lo or at + size > hi
            break
got = open(mapf).read().splitlines()
if len(got) != len(set(got)):
    sys.exit("duplicate lines in the map")
missing, extra = sorted(want - set(got)), sorted(set(got) - want)
if missing or extra:
    sys.exit("%d missing (%s), %d extra (%s)" % (len(missing), missing[:3], len(extra), extra[:3]))
if cross < int(want_cross):
    sys.exit("only %d symbols cross the copy's edges, the test needs %s" % (cross, want_cross))
print("  %s: %d symbols, as nm says (%d crossing an edge)" % (os.path.basename(prog), len(want), cross))
EOF
}

for prog in bigtext-pie crossfn; do
	cross=0 args="--calls 4000000000"
	[ $prog = crossfn ] && cross=2 args=--wait
	err=$TMP/err.$prog  # one file per run: a tracer may outlive its program
	start "$H" -vv --backing=thp "$P/$prog" $args > /dev/null 2> "$err"
	settle "$err" "perf map: [0-9]* symbols in $map"
	copied "$err"
	[ -f "$map" ] || fail "no $map: $(cat "$err")"
	[ "$(stat -c %a "$map")" = 600 ] || fail "$map is mode $(stat -c %a "$map"), not 600"
	[ "$(stat -c %u "$map")" = "$(id -u)" ] || fail "$map belongs to uid $(stat -c %u "$map")"
	cp /proc/$pid/maps "$TMP/maps"
	nm_compare "$P/$prog" $cross || fail "$(cat "$err")"
	ls /tmp/.hugexec-perf-$pid.* 2>/dev/null && fail "temporary files left in /tmp"
	stop
done

# A short-lived setuid program: the map belongs to the user it ran as
# (read at the entry stop), though it is gone when the map is written.
if is_root; then
	cp "$P/bigtext-pie" "$TMP/suid" && chown 65534 "$TMP/suid" && chmod 4755 "$TMP/suid"
	touch "$TMP/suid.start"
	run_pid "$H" -vv --backing=thp "$TMP/suid" --calls 1000 > /dev/null 2> "$TMP/suid.err"
	map=/tmp/perf-$(cat "$TMP/pid").map
	# (it is gone when the map is written: hugexec says nothing then)
	i=0; while [ $i -lt 100 ] && ! [ "$map" -nt "$TMP/suid.start" ]; do sleep 0.05; i=$((i + 1)); done
	copied "$TMP/suid.err"
	if [ -e "$map" ] && ! [ "$map" -nt "$TMP/suid.start" ]; then
		# PIDs wrap (pid_max 32768 here): another run's map, not a stale
		# one of this user, is left alone - as it must be
		note "a map from an earlier process $(cat "$TMP/pid") was there: the setuid case is not checked"
	else
		at_exit "rm -f $map"
		[ "$(stat -c %u "$map")" = 65534 ] || fail "a setuid program's map belongs to uid $(stat -c %u "$map"), not 65534"
	fi
	rm -f "$map"
fi

# A program that writes its own map (as node --perf-basic-prof): it opens
# it before its entry point and writes for 200 ms while hugexec's map is
# due. The map must be exactly its own lines, and hugexec must say so.
start "$H" -vv --backing=thp "$P/ownmap" --stay > "$TMP/own.out" 2> "$TMP/own.err"
settle "$TMP/own.err" 'perf map: .*left alone'
settle "$TMP/own.out" ownmap_jit_039
copied "$TMP/own.err"
cmp -s "$map" "$TMP/own.out" || fail "the program's own map was changed: $(head -c 300 "$map" | od -c | head -n 5)"
grep -q "perf map: $map was written since the program started: its own map; left alone" "$TMP/own.err" ||
	fail "not said that its map was left alone: $(cat "$TMP/own.err")"
stop
# The same, opened in main as node does: hugexec's map may come first (the
# program's "w" then truncates it whole) or second (left alone): either
# way only the program's lines, none merged.
start "$H" -vv --backing=thp "$P/ownmap" --open-in-main --stay > "$TMP/own2.out" 2> "$TMP/own2.err"
settle "$TMP/own2.err" 'perf map: .*\(left alone\|symbols in\)'
settle "$TMP/own2.out" ownmap_jit_039
cmp -s "$map" "$TMP/own2.out" || fail "the program's own map (opened in main) was changed: $(head -c 300 "$map" | od -c | head -n 5)"
stop

# --no-perf-map; and file-backed text keeps its name, needs no map
run_pid "$H" -vv --no-perf-map --backing=thp "$P/bigtext-pie" --calls 1000 > /dev/null 2> "$TMP/nopm"
settle "$TMP/nopm" "text on 2 MB pages"
sleep 0.5
[ ! -e "/tmp/perf-$(cat "$TMP/pid").map" ] || fail "--no-perf-map wrote a map"
"$EVICT" "$P/bigtext-nopie"
run_pid "$H" -vv --backing=file "$P/bigtext-nopie" --calls 1000 > /dev/null 2> "$TMP/file"
if grep -q 'on 2 MB pages (file ' "$TMP/file"; then
	sleep 0.5
	[ ! -e "/tmp/perf-$(cat "$TMP/pid").map" ] || fail "a perf map for file-backed text"
	grep -q 'perf map' "$TMP/file" && fail "perf map notes for file-backed text: $(cat "$TMP/file")"
else
	note "no file THP for bigtext-nopie here: the file-backed case is not checked"
fi

# A fully stripped program: -v says so; its functions that have unwind
# records (its C code; the generated assembly has none) are named by them,
# sub_ADDR, when the copy holds some (it depends on the load address), and
# nothing else is in the map.
strip -o "$TMP/stripped" "$P/bigtext-pie"
touch "$TMP/strip.t0" # a map older than this is another process's (pid_max 32768)
sleep 0.01
start "$H" -v --backing=thp "$TMP/stripped" --calls 4000000000 > /dev/null 2> "$TMP/strip"
settle "$TMP/strip" "perf map: .*has no symbols"
grep -q "perf map: $TMP/stripped has no symbols" "$TMP/strip" || fail "stripped not said: $(cat "$TMP/strip")"
sleep 0.2
if [ -e "$map" ] && [ "$map" -nt "$TMP/strip.t0" ]; then
	grep -vq '^[0-9a-f]* [0-9a-f]* sub_[0-9a-f]*$' "$map" && fail "a stripped program's map names more than its FDEs: $(head -n 5 "$map")"
	note "stripped: $(wc -l < "$map") functions named by their FDEs"
fi
stop

# What sits at the path already, planted by a shell that then execs
# hugexec (which keeps its PID). $1: how to plant it; $2: expected message.
planted=0
plant() {
	[ -n "${pid:-}" ] && stop
	planted=$((planted + 1)) out=$TMP/plant.$planted
	start sh -c 'f=/tmp/perf-$$.map; rm -f "$f"; eval "$1"
	             exec "$2" -vv --backing=thp "$3" --calls 4000000000' \
		sh "$1" "$H" "$P/bigtext-pie" > /dev/null 2> "$out"
	f=$map
	settle "$out" "perf map: .*\\(left alone\\|symbols in\\)"
	[ -z "$2" ] || grep -q "perf map: $f $2" "$out" || fail "not said '$2': $(cat "$out")"
}

# a symlink is not followed, its target stays as it was
echo precious > "$TMP/victim"
plant 'ln -s "'"$TMP/victim"'" "$f"' "is a symbolic link; left alone, not writing it"
[ -L "$f" ] || fail "the planted symlink is gone"
[ "$(cat "$TMP/victim")" = precious ] || fail "the symlink's target was written"
# the same when it dangles, and when it is old
plant 'ln -s "'"$TMP/nothing"'" "$f"; touch -h -d "1 minute ago" "$f"' "is a symbolic link; left alone"
[ ! -e "$TMP/nothing" ] || fail "the dangling symlink's target was created"
# a hard link, even an old one of our own user
echo linked > "$TMP/hl"
plant 'ln "'"$TMP/hl"'" "$f"; touch -d "1 minute ago" "$f"' "has 2 hard links; left alone, not writing it"
[ "$(cat "$TMP/hl")" = linked ] || fail "a hard-linked file was written"
# another user's file, old: left alone (as root; or else we cannot chown)
if is_root; then
	plant 'echo other > "$f"; chown 65534 "$f"; touch -d "1 minute ago" "$f"' \
		"belongs to uid 65534, not to the program's (0); left alone, not writing it"
	[ "$(cat "$f")" = other ] && [ "$(stat -c %u "$f")" = 65534 ] || fail "another user's file was rewritten"
fi
# our user's file, written after the process started: it may be the
# program's own (hugexec cannot tell), left alone
plant 'echo fresh > "$f"' "was written since the program started: its own map; left alone"
[ "$(cat "$f")" = fresh ] || fail "a fresh map was rewritten"
# a stale map (older than the process) of our user is replaced
plant 'echo stale > "$f"; touch -d "1 minute ago" "$f"' ""
settle "$out" "symbols in $f"
grep -q "perf map: replaced $f, a stale map" "$out" || fail "replacing a stale map not said: $(cat "$out")"
grep -q ' bt_f' "$f" && ! grep -q stale "$f" || fail "a stale map was not replaced: $(head -c 100 "$f")"
exit 0
