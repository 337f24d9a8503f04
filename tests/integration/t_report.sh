# --report=FILE: valid JSON, written before the program runs, that agrees
# with the running program's smaps; an outcome for every way a launch ends.
. tests/integration/lib.sh
need_ptrace
need_thp
command -v python3 >/dev/null || skip "no python3 to read JSON"
big=$P/bigtext-pie
js() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# a long run: the report is there while it runs, and says what smaps says
setarch "$(uname -m)" -R "$H" --report="$TMP/r-%n-%p.json" "$big" --calls 4000000000 >/dev/null &
pid=$!
at_exit "kill $pid 2>/dev/null"
w=0; while [ $w -lt 100 ] && [ ! -e "$TMP/r-bigtext-pie-$pid.json" ]; do sleep 0.05; w=$((w + 1)); done
r="$TMP/r-bigtext-pie-$pid.json"
[ -e "$r" ] || fail "no report for $pid: $(ls "$TMP")"
[ "$(js "$r" 'd["pid"]')" = $pid ] || fail "pid: $(cat "$r")"
[ "$(js "$r" 'd["outcome"]')" = remapped ] || fail "outcome: $(cat "$r")"
[ "$(js "$r" 'd["program"]')" = "$big" ] || fail "program: $(cat "$r")"
n=$(js "$r" 'len(d["regions"])')
[ "$n" -ge 1 ] || fail "no regions: $(cat "$r")"
i=0
while [ $i -lt "$n" ]; do
	addr=$(js "$r" "d['regions'][$i]['address']")
	hb=$(js "$r" "d['regions'][$i]['huge_bytes']")
	len=$(js "$r" "d['regions'][$i]['bytes']")
	# smaps: the huge-page kB of the mappings inside [addr, addr+len)
	kb=$(awk -v lo=$((addr)) -v hi=$((addr + len)) '
		/^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); s = strtonum("0x" a[1]); inside = s >= lo && s < hi }
		inside && /^(AnonHugePages|FilePmdMapped|Private_Hugetlb|Shared_Hugetlb):/ { k += $2 }
		END { print k + 0 }' /proc/$pid/smaps)
	[ $((kb * 1024)) = "$hb" ] || fail "region $i at $addr: the report says $hb bytes on 2 MB pages, smaps $((kb * 1024))"
	i=$((i + 1))
done
id=$(js "$r" 'd["regions"][0]["build_id"]')
readelf -n "$big" | grep -q "Build ID: $id" || fail "build-id $id is not the program's"
[ "$(js "$r" 'd["huge_bytes"] == sum(x["huge_bytes"] for x in d["regions"] if x["kind"] != "island")')" = True ] ||
	fail "totals: $(cat "$r")"
kill $pid; wait $pid 2>/dev/null
note "report of a running program: $n region(s), as its smaps says"

# every outcome, each a valid report
outcome() { # want tag: the report $TMP/$tag.json says outcome $want
	[ -e "$TMP/$2.json" ] || fail "$2: no report"
	[ "$(js "$TMP/$2.json" 'd["outcome"]')" = "$1" ] || fail "$2: $(cat "$TMP/$2.json")"
}
"$H" --report="$TMP/dry.json" --dry-run "$big" --calls 10 >/dev/null 2>&1; outcome dry-run dry
"$H" --report="$TMP/small.json" /bin/true; outcome unchanged small
[ "$(js "$TMP/small.json" 'd["reason"]')" != None ] || fail "unchanged without a reason"
HUGEXEC_DISABLE=1 "$H" --report="$TMP/off.json" /bin/true; outcome unchanged off
# a program with nothing to remap is let go to be followed: its report is
# written before that, so it is there when the command returns, every time
i=0
while [ $i -lt 30 ]; do
	rm -f "$TMP/q.json"
	"$H" --report="$TMP/q.json" /bin/true
	[ -e "$TMP/q.json" ] || fail "run $i: the report came after the program ended"
	i=$((i + 1))
done
# (--strict with nothing that qualifies runs CMD: unchanged, with why)
"$H" --report="$TMP/none.json" --strict --min-size=1G "$big" --calls 10 >/dev/null 2>&1
outcome unchanged none
# a region rolled back: said in the warnings; with --strict, stopped
HUGEXEC_TEST_FAIL_SYSCALL=2 "$HT" --report="$TMP/rb.json" --backing=thp "$big" --calls 10 >/dev/null 2>&1
outcome unchanged rb
[ "$(js "$TMP/rb.json" 'len(d["warnings"])')" -ge 1 ] || fail "a rolled-back run has no warning: $(cat "$TMP/rb.json")"
HUGEXEC_TEST_FAIL_SYSCALL=2 "$HT" --report="$TMP/strict.json" --strict --backing=thp "$big" --calls 10 >/dev/null 2>&1
outcome stopped strict
# a layout: its islands in the regions and the totals
"$H" --move=all --min-size=0 --report="$TMP/lay.json" "$P/layout_cases" >/dev/null 2>&1
[ "$(js "$TMP/lay.json" 'd["layout"]["functions"] > 0 and d["layout"]["functions"] == sum(x.get("functions", 0) for x in d["regions"] if x["kind"] == "island")')" = True ] ||
	fail "layout: $(cat "$TMP/lay.json")"
# a report that cannot be written: one line, and the program runs
capture nw "$H" --report=/nonexistent/dir/r.json "$big" --calls 10
capture plain "$big" --calls 10
same_run plain nw
grep -q -- '--report: /nonexistent/dir/r.json.[0-9]*.tmp: No such file' "$TMP/nw.err" || fail "unwritable: $(cat "$TMP/nw.err")"
exit 0
