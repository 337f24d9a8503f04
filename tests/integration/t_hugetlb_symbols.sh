#!/bin/sh
# Symbols for hugetlb copies, every time: the perf map is written when
# --profile splits the text into hugetlb and THP windows (it used to be
# missing: the map's helper run planned without the profile, so its windows
# did not match the regions, "no symbols could be read"), and `record -p`
# symbolizes a program whose text is a hugetlb copy (it used to open the
# hugetlbfs file behind the copy as if it were the ELF file, most times).
. tests/integration/lib.sh
need_ptrace
need_thp
prog=$P/bigtext-pie

# a profile whose hottest functions sit at the far end of the text, so the
# hugetlb windows (the hottest) are not the first ones
id=$(readelf -n "$prog" | sed -n 's/.*Build ID: *//p')
[ -n "$id" ] || skip "no build-id in $prog"
{
	printf 'hugexec-profile 2\nevent task-clock\nlost 0\nunattributed 0\n'
	printf 'object %s %s\nsamples 1000\n' "$id" "$prog"
	nm "$prog" | awk '$3 ~ /^bt_f7[0-9][0-9][0-9]$/ && n < 100 { n++; printf "func 0x%s 32 10 %s\n", $1, $3 }' | sort
	printf 'end\n'
} >"$TMP/hot.prof"
"$H" profile check "$TMP/hot.prof" "$prog" >/dev/null 2>"$TMP/check.err" || fail "crafted profile refused: $(cat "$TMP/check.err")"

reserve_hugetlb 5 || skip "cannot reserve hugetlb pages (root and a free pool needed)"
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
[ "$free" -ge 2 ] && [ "$free" -lt 15 ] || skip "$free free hugetlb pages: the text would not be split"
i=0
while [ $i -lt 3 ]; do
	# (no ASLR, as norand, but started directly: $! must be the program)
	setarch "$(uname -m)" -R "$H" -vv --profile "$TMP/hot.prof" "$prog" --calls 4000000000 \
		>/dev/null 2>"$TMP/pm$i" &
	pid=$!
	wait_for "$TMP/pm$i" 'perf map: .*symbols in\|no symbols could be read'
	kill $pid; wait $pid 2>/dev/null
	grep -q '(hugetlb [0-9]* MB, thp [0-9]* MB)' "$TMP/pm$i" || fail "not split: $(cat "$TMP/pm$i")"
	grep -q 'no symbols could be read' "$TMP/pm$i" && fail "run $i: $(grep 'perf map' "$TMP/pm$i")"
	grep -q "perf map: [0-9]* symbols in /tmp/perf-$pid.map" "$TMP/pm$i" || fail "run $i: no perf map: $(grep 'perf map\|pages' "$TMP/pm$i")"
	rm -f "/tmp/perf-$pid.map"
	i=$((i + 1))
done
note "perf map with hugetlb windows chosen by a profile: 3 of 3"

# record -p on a hugetlb copy (needs the whole text on the pool)
reserve_hugetlb 16 || skip "cannot reserve 16 more hugetlb pages"
i=0
while [ $i -lt 3 ]; do
	"$H" -v --backing=hugetlb "$prog" --calls 4000000000 >/dev/null 2>"$TMP/h$i" &
	pid=$!
	wait_for "$TMP/h$i" 'on 2 MB pages'
	grep -q 'on 2 MB pages (hugetlb' "$TMP/h$i" || { kill $pid; fail "no hugetlb copy: $(cat "$TMP/h$i")"; }
	"$H" record -q -p $pid -d 0.3 -o "$TMP/r$i.prof" 2>"$TMP/r$i.err"
	kill $pid; wait $pid 2>/dev/null
	grep -q 'not symbolized\|not an ELF' "$TMP/r$i.err" && fail "record -p, run $i: $(cat "$TMP/r$i.err")"
	"$H" profile show "$TMP/r$i.prof" >"$TMP/s$i" 2>&1 || fail "show: $(cat "$TMP/s$i")"
	grep -q ': [1-9][0-9]* in 1 object' "$TMP/s$i" || fail "record -p, run $i: $(head -n 2 "$TMP/s$i")"
	i=$((i + 1))
done
note "record -p of a hugetlb copy: symbolized 3 of 3"
exit 0
