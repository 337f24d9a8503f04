# hugexec status shows, for a remapped process, the KB on 2 MB pages that
# its smaps shows; finds it without being given the PID; --json parses.
. tests/integration/lib.sh
need_ptrace
need_thp
"$H" --backing=thp "$P/bigtext-pie" --calls 4000000000 > /dev/null &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_released $pid "$P/bigtext-pie"
smaps_huge=$(awk '/^[0-9a-f]+-/ { x = ($2 ~ /x/) } x && /^AnonHugePages:/ { s += $2 } END { print s }' /proc/$pid/smaps)
"$H" status $pid > "$TMP/st" || fail "status failed"
st_huge=$(sed -n 's/.*total: .* KB of text, \([0-9]*\) KB on 2 MB pages/\1/p' "$TMP/st")
[ "$st_huge" = "$smaps_huge" ] || fail "status says $st_huge KB, smaps $smaps_huge KB: $(cat "$TMP/st")"
grep -q 'thp *copy of .*bigtext-pie' "$TMP/st" || fail "no thp copy line: $(cat "$TMP/st")"
"$H" status | grep -q "^$pid " || fail "status without PIDs does not list $pid"
"$H" status --json $pid | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["processes"][0]["huge_kb"])' > "$TMP/j" ||
	fail "--json does not parse"
[ "$(cat "$TMP/j")" = "$smaps_huge" ] || fail "--json huge_kb $(cat "$TMP/j"), smaps $smaps_huge"
# an ordinary user can read their own processes
if is_root && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$P/bigtext-pie" --calls 4000000000 > /dev/null &
	upid=$!
	at_exit "kill $upid 2>/dev/null"
	sleep 0.3
	setpriv --reuid=65534 --regid=65534 --clear-groups "$H" status $upid > "$TMP/u" || fail "status as a user on their own process"
	grep -q "^$upid " "$TMP/u" || fail "user status: $(cat "$TMP/u")"
fi
"$H" status 999999999 2>/dev/null && fail "status of a missing PID succeeded"
kill $pid; wait $pid 2>/dev/null
exit 0
