# Every flag and environment variable does what the README says.
. tests/integration/lib.sh
need_ptrace
need_thp
big=$P/bigtext-pie
capture plain "$big" --calls 1000

"$H" --help | grep -q '^Usage: hugexec' || fail "--help"
"$H" --version | grep -q '^hugexec [0-9]' || fail "--version"
"$H" --backing=bogus true 2>/dev/null; [ $? = 125 ] || fail "bad option: not 125"

# -v: one summary line; -q: nothing; default: nothing on success
capture v "$H" -v "$big" --calls 1000
same_run plain v
[ "$(grep -c . "$TMP/v.err")" = 1 ] && grep -q 'MB of .* of text on 2 MB pages (\(thp\|hugetlb\|file\) ' "$TMP/v.err" ||
	fail "-v: $(cat "$TMP/v.err")"
capture d "$H" "$big" --calls 1000
[ ! -s "$TMP/d.err" ] || fail "silent by default: $(cat "$TMP/d.err")"
capture vv "$H" -vv "$big" --calls 1000
grep -q 'plan: [0-9]* group' "$TMP/vv.err" && grep -q 'mremap' "$TMP/vv.err" || fail "-vv shows no plan"

# --dry-run: prints the plan, changes nothing
SELFCHECK=1 capture dry "$H" --dry-run "$big" --calls 1000
same_run plain dry
grep -q 'plan: [0-9]* group' "$TMP/dry.err" || fail "--dry-run printed no plan"
[ "$(field "$TMP/dry.err" anon_kb)" = 0 ] && [ "$(field "$TMP/dry.err" huge_kb)" = 0 ] || fail "--dry-run changed the program"

# HUGEXEC_DISABLE=1: untouched, silent
SELFCHECK=1 HUGEXEC_DISABLE=1 capture off "$H" -v "$big" --calls 1000
same_run plain off
[ "$(grep -c hugexec "$TMP/off.err")" = 0 ] && [ "$(field "$TMP/off.err" huge_kb)" = 0 ] || fail "HUGEXEC_DISABLE"

# --min-size and --only/--exclude select mappings
SELFCHECK=1 capture min "$H" --min-size=64M "$big" --calls 1000
[ "$(field "$TMP/min.err" huge_kb)" = 0 ] && [ "$(grep -c hugexec "$TMP/min.err")" = 0 ] || fail "--min-size=64M"
# ... and -v or --dry-run still say, in one line, why nothing was done
capture minv "$H" -v --min-size=64M "$big" --calls 1000
[ "$(grep -c . "$TMP/minv.err")" = 1 ] && grep -q 'nothing to remap: no executable mapping reaches --min-size=64 MB' "$TMP/minv.err" ||
	fail "-v --min-size=64M: $(cat "$TMP/minv.err")"
capture tv "$H" --dry-run /bin/true
grep -q '^hugexec: /bin/true: nothing to remap: no executable mapping holds a whole 2 MB page' "$TMP/tv.err" ||
	fail "--dry-run /bin/true: $(cat "$TMP/tv.err")"
capture exv "$H" -v --exclude='*' "$big" --calls 1000
[ "$(grep -c '^hugexec: ' "$TMP/exv.err")" = 1 ] && grep -q 'nothing to remap: every executable mapping was left alone' "$TMP/exv.err" ||
	fail "-v --exclude='*': $(cat "$TMP/exv.err")"
SELFCHECK=1 capture only "$H" --only='*/libc*' "$big" --calls 1000
[ "$(field "$TMP/only.err" huge_kb)" = 0 ] || fail "--only"
SELFCHECK=1 capture excl "$H" --exclude='*bigtext*' "$big" --calls 1000
[ "$(field "$TMP/excl.err" huge_kb)" = 0 ] || fail "--exclude"
SELFCHECK=1 capture only2 "$H" --only='*bigtext*' "$big" --calls 1000
[ "$(field "$TMP/only2.err" huge_kb)" -gt 0 ] || fail "--only matching"

# --backing: thp on a file-aligned binary copies; file on a PIE is impossible
SELFCHECK=1 capture thp "$H" -v --backing=thp "$P/bigtext-nopie" --calls 1000
[ "$(field "$TMP/thp.err" anon_kb)" -gt 0 ] && grep -q '(thp ' "$TMP/thp.err" || fail "--backing=thp: $(cat "$TMP/thp.err")"
SELFCHECK=1 capture file norand "$H" --backing=file "$big" --calls 1000
same_run plain file
grep -q 'backing=file impossible.*running it unmodified' "$TMP/file.err" || fail "--backing=file on PIE: $(cat "$TMP/file.err")"
capture strict norand "$H" --strict --backing=file "$big" --calls 1000
[ "$(cat "$TMP/strict.rc")" = 125 ] && [ ! -s "$TMP/strict.out" ] || fail "--strict: status $(cat "$TMP/strict.rc")"
capture strict2 "$H" --strict "$big" --calls 1000
same_run plain strict2

# --backing=hugetlb, with a reserved pool (root)
if reserve_hugetlb 20; then
	SELFCHECK=1 capture ht "$H" -v --backing=hugetlb "$big" --calls 1000
	same_run plain ht
	grep -q '(hugetlb ' "$TMP/ht.err" && [ "$(field "$TMP/ht.err" huge_kb)" -ge "$(field "$TMP/ht.err" interior_kb)" ] ||
		fail "--backing=hugetlb: $(cat "$TMP/ht.err")"
else
	note "cannot reserve hugetlb pages: --backing=hugetlb not tested"
fi
exit 0
