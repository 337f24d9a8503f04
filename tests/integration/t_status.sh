# hugexec status shows, for a remapped process, the KB on 2 MB pages that
# its smaps shows; without PIDs it lists the processes hugexec remapped
# (THP copy with its perf map, file backing) but not those that put their
# own text on huge pages (an in-binary remap, node --use-largepages=on);
# --json is valid JSON whatever bytes a path holds; PIDs are parsed
# strictly; an ordinary user can run hugexec and ask about their process.
. tests/integration/lib.sh
need_ptrace
need_thp
command -v python3 >/dev/null || skip "python3 is missing"

# KB on huge pages of any kind in pid's executable mappings (as status counts)
smaps_huge() {
	awk '/^[0-9a-f]+-/ { x = ($2 ~ /x/) && $6 != "[vdso]" && $6 != "[vsyscall]" }
	     x && /^(AnonHugePages|FilePmdMapped|Private_Hugetlb|Shared_Hugetlb):/ { s += $2 }
	     END { print s + 0 }' /proc/$1/smaps
}
status_huge() { sed -n 's/.*total: .* KB of text, \([0-9]*\) KB on 2 MB pages/\1/p' "$1"; }
# wait (up to 10 s) for a file to exist / for a process's text to be huge
wait_file() { i=0; while [ $i -lt 200 ] && [ ! -s "$1" ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }
wait_huge() { i=0; while [ $i -lt 200 ] && [ "$(smaps_huge $1)" = 0 ]; do sleep 0.05; i=$((i + 1)); done; }
listed() { "$H" status > "$TMP/all" || fail "status failed"; grep -q "^$1 " "$TMP/all"; }

# a THP copy made by hugexec
"$H" --backing=thp "$P/bigtext-pie" --calls 4000000000 > /dev/null &
pid=$!
at_exit "kill $pid 2>/dev/null; rm -f /tmp/perf-$pid.map"
wait_released $pid "$P/bigtext-pie"
smaps=$(smaps_huge $pid)
[ "$smaps" -gt 0 ] || fail "no huge pages: the test would prove nothing"
"$H" status $pid > "$TMP/st" || fail "status failed"
[ "$(status_huge "$TMP/st")" = "$smaps" ] || fail "status says $(status_huge "$TMP/st") KB, smaps $smaps KB: $(cat "$TMP/st")"
grep -q 'thp *copy of .*bigtext-pie' "$TMP/st" || fail "no thp copy line: $(cat "$TMP/st")"
wait_file /tmp/perf-$pid.map || fail "no perf map for $pid"
listed $pid || fail "status without PIDs does not list $pid: $(cat "$TMP/all")"
"$H" status --json $pid | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["processes"][0]["huge_kb"])' > "$TMP/j" ||
	fail "--json does not parse"
[ "$(cat "$TMP/j")" = "$smaps" ] || fail "--json huge_kb $(cat "$TMP/j"), smaps $smaps"
kill $pid; wait $pid 2>/dev/null

# file backing: the file's own pages, MADV_HUGEPAGE and PMD-mapped
"$EVICT" "$P/bigtext-nopie"
"$H" --backing=file "$P/bigtext-nopie" --calls 4000000000 > /dev/null 2>&1 &
fpid=$!
at_exit "kill $fpid 2>/dev/null"
wait_released $fpid "$P/bigtext-nopie"
if "$H" status $fpid | grep -q 'file-thp'; then
	listed $fpid || fail "file-backed text is not listed: $(cat "$TMP/all")"
else
	note "no file THP for bigtext-nopie here: the file backing case is not checked"
fi
kill $fpid; wait $fpid 2>/dev/null

# text a program put on huge pages itself is not hugexec's
"$P/bigtext-pie" --self-remap --calls 4000000000 > /dev/null &
spid=$!
at_exit "kill $spid 2>/dev/null"
wait_huge $spid
[ "$(smaps_huge $spid)" -gt 0 ] || fail "--self-remap put nothing on huge pages"
! listed $spid || fail "an in-binary remap is listed as hugexec's: $(grep -A3 "^$spid " "$TMP/all")"
"$H" status $spid | grep -q 'thp *copy of .*bigtext-pie' || fail "asked by PID, the copy is not shown"
kill $spid; wait $spid 2>/dev/null
if command -v node >/dev/null; then
	node --use-largepages=on -e 'setTimeout(() => {}, 60000)' &
	npid=$!
	at_exit "kill $npid 2>/dev/null"
	wait_huge $npid
	if [ "$(smaps_huge $npid)" -gt 0 ]; then
		! listed $npid || fail "node --use-largepages=on is listed as hugexec's"
	else
		note "node --use-largepages=on put nothing on huge pages here"
	fi
	kill $npid; wait $npid 2>/dev/null
fi

# --json stays valid JSON for a path that is not UTF-8
odd=$TMP/big$(printf '\377\303')text
cp "$P/bigtext-pie" "$odd"
"$H" --backing=thp "$odd" --calls 4000000000 > /dev/null &
opid=$!
at_exit "kill $opid 2>/dev/null; rm -f /tmp/perf-$opid.map"
wait_released $opid "$odd"
"$H" status --json $opid > "$TMP/odd.json" || fail "status --json failed"
python3 - "$TMP/odd.json" <<'EOF' || fail "--json with a non-UTF-8 path: $(od -c "$TMP/odd.json" | head -n 20)"
import json, sys
d = json.loads(open(sys.argv[1], "rb").read())  # strict UTF-8
paths = [m["path"] for m in d["processes"][0]["mappings"]]
assert any(p.endswith("/big\u00ff\u00c3text") for p in paths), paths
EOF
kill $opid; wait $opid 2>/dev/null

# strict PIDs
for bad in 1x x1 -1 0 '' 99999999999999999999 2147483648 ' 1'; do
	"$H" status "$bad" > /dev/null 2> "$TMP/bad"
	[ $? = 125 ] || fail "status '$bad' was taken for a PID"
	grep -q 'is not a PID' "$TMP/bad" || fail "status '$bad': $(cat "$TMP/bad")"
done
"$H" status 999999999 2>/dev/null && fail "status of a missing PID succeeded"

# --align=aggressive: the window beside the interior copy (it holds the
# library's ELF header) is a copy of that library too, never "[anonymous]"
# nor the library mapped below it
"$H" --align=aggressive --backing=thp "$P/biglib-user" --calls 4000000000 > /dev/null 2>"$TMP/ag.err" &
apid=$!
at_exit "kill $apid 2>/dev/null; rm -f /tmp/perf-$apid.map"
wait_released $apid "$P/biglib-user"
"$H" status --json $apid > "$TMP/ag.json" || fail "status --json of an aggressive run"
python3 - "$TMP/ag.json" <<'PY' || fail "aggressive copies mislabelled: $(cat "$TMP/ag.json")"
import json, sys
rows = json.load(open(sys.argv[1]))["processes"][0]["mappings"]
copies = [r for r in rows if r["backing"] in ("thp", "hugetlb")]
assert len(copies) >= 2, "no window beside the interior: %r" % copies
for r in copies:
    assert r["copy"] and r["path"].endswith("/libbigtext.so"), r
PY
kill $apid; wait $apid 2>/dev/null

# an ordinary user runs a remapped program and asks about it
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! is_root || ! command -v setpriv >/dev/null; then
	note "not root or no setpriv: the ordinary user case is not checked"
elif ! as_user test -x "$P/bigtext-pie"; then
	note "uid 65534 cannot run $P/bigtext-pie: the ordinary user case is not checked"
else
	# setpriv itself, not the function: $! must be the program
	setpriv --reuid=65534 --regid=65534 --clear-groups "$H" --backing=thp "$P/bigtext-pie" \
		--calls 4000000000 > /dev/null &
	upid=$!
	at_exit "kill $upid 2>/dev/null; rm -f /tmp/perf-$upid.map"
	wait_released $upid "$P/bigtext-pie"
	[ "$(awk '/^Uid:/ { print $3 }' /proc/$upid/status)" = 65534 ] || fail "not running as uid 65534"
	smaps=$(smaps_huge $upid)
	[ "$smaps" -gt 0 ] || fail "uid 65534: no huge pages"
	as_user "$H" status $upid > "$TMP/u" || fail "status as a user on their own process"
	[ "$(status_huge "$TMP/u")" = "$smaps" ] || fail "user status says $(status_huge "$TMP/u") KB, smaps $smaps KB"
	wait_file /tmp/perf-$upid.map || fail "no perf map for uid 65534's process"
	[ "$(stat -c %u /tmp/perf-$upid.map)" = 65534 ] || fail "the perf map is not uid 65534's"
	as_user "$H" status > "$TMP/uall" || fail "status without PIDs as a user"
	grep -q "^$upid " "$TMP/uall" || fail "user status does not list $upid: $(cat "$TMP/uall")"
	kill $upid; wait $upid 2>/dev/null
fi
exit 0
