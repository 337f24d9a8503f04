# --profile: a matching profile gives the scarce hugetlb pages to its
# hottest 2 MB windows and -v says how much of it is on 2 MB pages; a
# stale, foreign, malformed or missing profile is a warning (none with -q)
# and the program runs with plain huge pages, output unchanged.
. tests/integration/lib.sh
need_ptrace
need_thp
prog=$P/bigtext-pie
SELFCHECK=1 capture plain "$prog" --calls 1000
interior=$(field "$TMP/plain.err" interior_kb)
id=$(readelf -n "$prog" | sed -n 's/.*Build ID: *//p')
[ -n "$id" ] || fail "no build-id in $prog"
# a hand-made profile: all samples in bt_f7000, near the end of the text
hot=$(nm "$prog" | sed -n 's/^0*\([0-9a-f]*\) t bt_f7000$/\1/p')
[ -n "$hot" ] || fail "no bt_f7000 in $prog"
mkprof() { # FILE BUILD-ID
	printf 'hugexec-profile 1\nevent task-clock\nlost 0\nunattributed 0\nobject %s %s\nsamples 1000\nfunc 0x%s 22 1000 bt_f7000\nend\n' \
		"$2" "$prog" "$hot" > "$1"
}
mkprof "$TMP/hot.prof" "$id"
"$H" profile check "$TMP/hot.prof" "$prog" >/dev/null || fail "the test profile does not match: $(cat "$TMP/hot.prof")"

SELFCHECK=1 capture use "$H" -v --backing=thp --profile="$TMP/hot.prof" "$prog" --calls 1000
same_run plain use
grep -q "100.0% of the profile's samples" "$TMP/use.err" || fail "-v share: $(cat "$TMP/use.err")"
[ "$(grep -c warning "$TMP/use.err")" = 0 ] || fail "a matching profile warned: $(cat "$TMP/use.err")"

# too few hugetlb pages for the whole text: the hot window gets them, not
# the first window (which is what it gets without a profile)
# (one free page: it goes to the hot window, or to the first without a profile)
if reserve_hugetlb 1 && [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)" = 1 ]; then
	first_backing() { sed -n 's/^  group [0-9]*: [^ ]* \(0x[0-9a-f]*\) .* -> \([a-z]*\),.*/\1 \2/p' "$1" |
		sort | awk '{ print $2; exit }'; }
	hugetlb_at() { sed -n 's/^  group [0-9]*: [^ ]* \(0x[0-9a-f]*\) .* -> hugetlb,.*/\1/p' "$1" | head -n 1; }
	# (no ASLR: a 2 MB-aligned PIE would take the file backing, no pool page)
	capture d0 norand "$H" --dry-run "$prog" --calls 10
	capture d1 norand "$H" --dry-run --profile="$TMP/hot.prof" "$prog" --calls 10
	[ "$(first_backing "$TMP/d0.err")" = hugetlb ] || fail "without a profile the first window is not hugetlb: $(cat "$TMP/d0.err")"
	[ "$(first_backing "$TMP/d1.err")" != hugetlb ] && [ -n "$(hugetlb_at "$TMP/d1.err")" ] ||
		fail "with the profile the hot window did not get the hugetlb pages: $(cat "$TMP/d1.err")"
	SELFCHECK=1 capture hu norand "$H" -v --profile="$TMP/hot.prof" "$prog" --calls 1000
	same_run plain hu
	grep -q "(hugetlb [0-9]* MB, thp [0-9]* MB), 100.0% of the profile's samples" "$TMP/hu.err" ||
		fail "hot window on hugetlb: $(cat "$TMP/hu.err")"
else
	note "cannot make the hugetlb pool exactly 1 free page: the hot-window choice is not tested"
fi

# a profile that must not be used: one warning, plain huge pages
other=$(printf '%s' "$id" | sed 's/.$/0/'); [ "$other" = "$id" ] && other=$(printf '%s' "$id" | sed 's/.$/1/')
mkprof "$TMP/stale.prof" "$other"
head -n 5 "$TMP/hot.prof" > "$TMP/trunc.prof"
for kind in stale:"warning: profile .*stale.prof is stale" trunc:"warning: .*trunc.prof:[0-9]*: " \
	    missing:"warning: profile .*missing.prof: No such file"; do
	k=${kind%%:*} why=${kind#*:}
	SELFCHECK=1 capture $k "$H" --backing=thp --profile="$TMP/$k.prof" "$prog" --calls 1000
	same_run plain $k
	grep -q "$why" "$TMP/$k.err" || fail "$k profile: $(cat "$TMP/$k.err")"
	[ "$(grep -c '^hugexec: ' "$TMP/$k.err")" = 1 ] || fail "$k profile: not one line: $(cat "$TMP/$k.err")"
	[ "$(field "$TMP/$k.err" huge_kb)" -ge "$(field "$TMP/$k.err" interior_kb)" ] || fail "$k profile: not plain huge pages: $(cat "$TMP/$k.err")"
	capture v$k "$H" -v --backing=thp --profile="$TMP/$k.prof" "$prog" --calls 1000
	grep -q "of the profile's samples" "$TMP/v$k.err" && fail "-v reports the share of an unused profile: $(cat "$TMP/v$k.err")"
	SELFCHECK=1 capture q$k "$H" -q --backing=thp --profile="$TMP/$k.prof" "$prog" --calls 1000
	[ "$(grep -c '^hugexec: ' "$TMP/q$k.err")" = 0 ] || fail "-q: $(cat "$TMP/q$k.err")"
done
# a profile of another program: said, not used
SELFCHECK=1 capture foreign "$H" --backing=thp --profile="$TMP/hot.prof" "$P/bigtext-nopie" --calls 1000
grep -q "warning: profile .*hot.prof has no data for .*bigtext-nopie" "$TMP/foreign.err" || fail "foreign profile: $(cat "$TMP/foreign.err")"
exit 0
