# Shared libraries get the same treatment as the executable: a generated
# 12 MB-text library loaded by a test program is on huge pages after
# hugexec, the output equals a plain run, the library's code is unchanged;
# its THP copy is in the perf map at the library's addresses.
. tests/integration/lib.sh
need_ptrace
need_thp
user=$P/biglib-user lib=$P/libbigtext.so
for backing in auto thp; do
	"$EVICT" "$lib" "$user"
	SELFCHECK=1 SELFCHECK_LIB=libbigtext capture plain "$user" --calls 30000
	interior=$(field "$TMP/plain.err" interior_kb)
	[ "${interior:-0}" -ge 8192 ] || fail "library interior only ${interior:-?} KB"
	[ "$(field "$TMP/plain.err" huge_kb)" = 0 ] || fail "plain run already huge: the test would prove nothing"
	SELFCHECK=1 SELFCHECK_LIB=libbigtext capture hx "$H" -v --backing=$backing "$user" --calls 30000
	same_run plain hx
	huge=$(field "$TMP/hx.err" huge_kb)
	interior=$(field "$TMP/hx.err" interior_kb) # this run's own (placement may differ)
	[ "${huge:-0}" -ge "$interior" ] || fail "$backing: library $huge of $interior KB huge: $(cat "$TMP/hx.err")"
	[ "$(field "$TMP/hx.err" code_sum)" = "$(field "$TMP/plain.err" code_sum)" ] || fail "library code changed"
	note "--backing=$backing: $huge of $interior KB of the library on 2 MB pages ($(sed -n 's/.*pages (\([a-z]*\) .*/\1/p' "$TMP/hx.err"))"
done
# a THP copy of the library gets perf map lines for its functions, at
# nm's addresses moved by where the library was loaded
"$H" --backing=thp "$user" --calls 4000000000 > /dev/null &
pid=$!
at_exit "kill $pid 2>/dev/null; rm -f /tmp/perf-$pid.map"
wait_released $pid "$user"
i=0
while [ $i -lt 200 ] && [ ! -s /tmp/perf-$pid.map ]; do sleep 0.05; i=$((i + 1)); done
real=$(readlink -f "$lib")
base=$(awk -v f="$real" '$6 == f && $3 == "00000000" { print $1; exit }' /proc/$pid/maps)
[ -n "$base" ] || fail "libbigtext is not mapped: $(cat /proc/$pid/maps)"
at=$(nm "$lib" | awk '$3 == "bt_f1500" { print $1 }')
want=$(printf '%x' $((0x${base%-*} + 0x$at)))
grep -q "^$want [0-9a-f]* bt_f1500\$" /tmp/perf-$pid.map ||
	fail "no line for bt_f1500 at $want: $(grep -m 3 bt_f /tmp/perf-$pid.map)"
[ "$(grep -c ' bt_f[0-9]*$' /tmp/perf-$pid.map)" -ge 2048 ] || fail "few library symbols in the perf map"
kill $pid; wait $pid 2>/dev/null
# --exclude leaves it alone
"$EVICT" "$lib"
SELFCHECK=1 SELFCHECK_LIB=libbigtext capture ex "$H" --exclude='*libbigtext*' "$user" --calls 30000
[ "$(field "$TMP/ex.err" huge_kb)" = 0 ] || fail "--exclude did not leave the library alone"
exit 0
