# /tmp/perf-PID.map lists the functions of copied text at their runtime
# addresses (they match nm after relocation), is not written with
# --no-perf-map or for file-backed text, and root cannot be tricked into
# following a planted symlink or writing someone else's file.
. tests/integration/lib.sh
need_ptrace
need_thp
prog=$P/bigtext-pie
# Learn the PID the program will get: run it through a shell that prints $$.
run_pid() { sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$TMP/pid" "$@"; }
# The map is written once the program runs on, by the tracer, which may
# outlive a short program by a moment: wait for its last words.
settle() { i=0; while [ $i -lt 100 ] && ! grep -q "$2" "$1" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done; }
run_pid "$H" -vv --backing=thp "$prog" --calls 1000 > /dev/null 2> "$TMP/err"
pid=$(cat "$TMP/pid") map=/tmp/perf-$pid.map
at_exit "rm -f $map"
settle "$TMP/err" "perf map: [0-9]* symbols in $map"
[ -f "$map" ] || fail "no $map: $(cat "$TMP/err")"
grep -q "perf map: [0-9]* symbols in $map" "$TMP/err" || fail "not reported: $(cat "$TMP/err")"
[ "$(stat -c %a "$map")" = 600 ] || fail "$map is mode $(stat -c %a "$map"), not 600"
# every line: START SIZE NAME in hex; bt_f symbols must sit at nm's
# address plus one load bias for all of them
nm "$prog" | awk '$2 ~ /^[tT]$/ { print $3, $1 }' | sort > "$TMP/nm"
awk '{ print $3, $1 }' "$map" | sort > "$TMP/map"
join "$TMP/nm" "$TMP/map" > "$TMP/joined"
[ "$(wc -l < "$TMP/joined")" -ge 1000 ] || fail "few symbols in common with nm: $(wc -l < "$TMP/joined")"
biases=$(awk '{ printf "%d\n", ("0x" $3) - ("0x" $2) }' "$TMP/joined" | sort -u | wc -l)
[ "$biases" = 1 ] || fail "$biases different offsets between nm and the map (PIE relocation wrong)"
awk 'NF != 3 || $1 !~ /^[0-9a-f]+$/ || $2 !~ /^[0-9a-f]+$/ { bad = 1 } END { exit bad }' "$map" || fail "malformed lines"
rm -f "$map"

# --no-perf-map; and file-backed text needs no map
run_pid "$H" -vv --no-perf-map --backing=thp "$prog" --calls 1000 > /dev/null 2> "$TMP/nopm"
settle "$TMP/nopm" "text on 2 MB pages"
sleep 0.5
[ ! -e "/tmp/perf-$(cat "$TMP/pid").map" ] || fail "--no-perf-map wrote a map"

# a symlink planted at the path is not followed, its target stays as it
# was. hugexec keeps the PID, so a shell can plant it for its own PID and
# then exec hugexec.
echo precious > "$TMP/victim"
sh -c 'echo $$ > "$1"; rm -f /tmp/perf-$$.map; ln -s "$2" /tmp/perf-$$.map
       exec "$3" --backing=thp "$4" --calls 1000' \
	sh "$TMP/pid" "$TMP/victim" "$H" "$prog" > /dev/null 2> "$TMP/err2"
settle "$TMP/err2" "perf map:"
got=$(cat "$TMP/pid")
at_exit "rm -f /tmp/perf-$got.map"
[ -L "/tmp/perf-$got.map" ] || fail "the planted symlink is gone"
[ "$(cat "$TMP/victim")" = precious ] || fail "the symlink's target was written"
grep -q 'perf map: .*not writing it' "$TMP/err2" || fail "refusal not noted: $(cat "$TMP/err2")"

# a file of another user is not taken over; a stale map of our own user is
if is_root; then
	sh -c 'echo $$ > "$1"; rm -f /tmp/perf-$$.map; echo other > /tmp/perf-$$.map
	       chown 65534 /tmp/perf-$$.map
	       exec "$2" --backing=thp "$3" --calls 1000' sh "$TMP/pid" "$H" "$prog" > /dev/null 2> "$TMP/err3"
	settle "$TMP/err3" "perf map:"
	f=/tmp/perf-$(cat "$TMP/pid").map
	at_exit "rm -f $f"
	[ "$(cat "$f")" = other ] && [ "$(stat -c %u "$f")" = 65534 ] || fail "another user's file was rewritten"
	grep -q 'not writing it' "$TMP/err3" || fail "refusal not noted: $(cat "$TMP/err3")"
fi
sh -c 'echo $$ > "$1"; echo stale > /tmp/perf-$$.map
       exec "$2" -vv --backing=thp "$3" --calls 1000' sh "$TMP/pid" "$H" "$prog" > /dev/null 2> "$TMP/err4"
f=/tmp/perf-$(cat "$TMP/pid").map
settle "$TMP/err4" "perf map:"
at_exit "rm -f $f"
grep -q ' bt_f' "$f" || fail "a stale map of our own user was not replaced: $(head -c 100 "$f")"
exit 0
