# Backing is decided per 2 MB window: with fewer free hugetlb pages than
# the text needs, the first windows take them and the rest goes on THP;
# the whole interior is on huge pages and the output is a plain run's.
. tests/integration/lib.sh
need_ptrace
need_thp
prog=$P/bigtext-pie
SELFCHECK=1 capture plain "$prog" --calls 1000
interior=$(field "$TMP/plain.err" interior_kb)
reserve_hugetlb 5 || skip "cannot reserve 5 hugetlb pages (root and a free pool needed)"
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
[ "$free" -lt $((interior / 2048)) ] || skip "$free hugetlb pages are free: enough for the whole text"
# (no ASLR: a 2 MB-aligned PIE would take the file backing, with no copy)
SELFCHECK=1 capture mix norand "$H" -v "$prog" --calls 1000
same_run plain mix
h=$(field "$TMP/mix.err" huge_kb) interior=$(field "$TMP/mix.err" interior_kb)
[ "${h:-0}" -ge "$interior" ] || fail "$h of $interior KB huge: $(cat "$TMP/mix.err")"
grep -q "(hugetlb $((free * 2)) MB, thp [0-9]* MB)" "$TMP/mix.err" || fail "not split by window: $(cat "$TMP/mix.err")"
note "$(grep 'on 2 MB pages' "$TMP/mix.err")"
# --backing=hugetlb with too few pages: the summary counts all the text
# that qualified, says why the rest stays small, and --strict fails (it
# used to say "10 MB of 10 MB" and exit 0)
SELFCHECK=1 capture part norand "$H" -v --backing=hugetlb "$prog" --calls 1000
same_run plain part
mb=$((interior / 1024))
grep -q "$((free * 2)) MB of $mb MB of text on 2 MB pages (hugetlb" "$TMP/part.err" ||
	fail "partial hugetlb not counted against all the text: $(cat "$TMP/part.err")"
grep -q "$((mb - free * 2)) MB of the text got no 2 MB pages: --backing=hugetlb needs" "$TMP/part.err" ||
	fail "partial hugetlb not explained: $(cat "$TMP/part.err")"
capture ps norand "$H" --strict --backing=hugetlb "$prog" --calls 1000
[ "$(cat "$TMP/ps.rc")" = 125 ] && [ ! -s "$TMP/ps.out" ] ||
	fail "--strict with text left on 4 KB pages: $(cat "$TMP/ps.rc") $(cat "$TMP/ps.err")"
grep -q "bigtext-pie: .*bigtext-pie: " "$TMP/ps.err" && fail "the path said twice: $(cat "$TMP/ps.err")"
# where hugetlb is not asked for, nothing is split: one region, one group
capture t "$H" -v --backing=thp "$prog" --calls 1000
grep -q '(thp [0-9]* MB), 1 region,' "$TMP/t.err" || fail "--backing=thp was split: $(cat "$TMP/t.err")"
exit 0
