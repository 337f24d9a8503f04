# --align=aggressive also covers the partial 2 MB pieces at the ends of the
# text when the rest of those windows is unmapped or read-only pages of the
# same file; it must cover more than conservative, and never make a
# writable page executable. Layouts are compared with ASLR off.
. tests/integration/lib.sh
need_ptrace
need_thp
command -v setarch >/dev/null || skip "setarch (util-linux) is missing"
prog=$P/bigtext-pie
norand() { setarch "$(uname -m)" -R "$@"; }
SELFCHECK=1 SELFCHECK_MAPS=$TMP/plain.maps capture plain norand "$prog" --calls 1000
SELFCHECK=1 SELFCHECK_MAPS=$TMP/cons.maps capture cons norand "$H" -v "$prog" --calls 1000
SELFCHECK=1 SELFCHECK_MAPS=$TMP/aggr.maps capture aggr norand "$H" -v --align=aggressive "$prog" --calls 1000
same_run plain cons
same_run plain aggr
c=$(field "$TMP/cons.err" huge_kb) a=$(field "$TMP/aggr.err" huge_kb)
[ "$a" -gt "$c" ] || fail "aggressive covered $a KB, conservative $c KB"
grep -q 'more from --align=aggressive' "$TMP/aggr.err" || fail "the extra coverage is not reported: $(cat "$TMP/aggr.err")"
note "conservative $c KB, aggressive $a KB on 2 MB pages"
# no mapping may be writable and executable; and every executable byte of
# the aggressive run must have been non-writable in the plain run
awk '$2 ~ /w/ && $2 ~ /x/ { print "W+X: " $0; bad = 1 } END { exit bad }' "$TMP/aggr.maps" || fail "a W+X mapping"
awk 'FNR == NR { split($1, r, "-"); if ($2 ~ /w/) { ws[++n] = r[1]; we[n] = r[2] } next }
     $2 ~ /x/ { split($1, r, "-");
       for (i = 1; i <= n; i++) {
         # compare as equal-length hex strings (addresses print zero-padded per width)
         a = sprintf("%016s", r[1]); b = sprintf("%016s", r[2]);
         c = sprintf("%016s", ws[i]); d = sprintf("%016s", we[i]);
         if (a < d && c < b) { print "was writable: " $0; bad = 1 } } }
     END { exit bad }' "$TMP/plain.maps" "$TMP/aggr.maps" || fail "a page that was writable became executable"
# the copies: executable anonymous memory without a name ([vdso] and
# [vsyscall] have one) or hugetlb memory
is_copy='$2 ~ /x/ && (($3 == "00000000" && $4 == "00:00" && $5 == "0" && NF == 5) || $6 == "/anon_hugepage")'
copies=$(awk "$is_copy { print \$1 }" "$TMP/aggr.maps")
[ -n "$copies" ] || fail "no copied text found in maps: $(cat "$TMP/aggr.maps")"
# the 2 MB windows of the copies hold only copies and the program's own file
real=$(readlink -f "$prog")
awk "$is_copy { print \$1, \"copy\"; next } { print \$1, \$6 }" "$TMP/aggr.maps" > "$TMP/kinds"
for c in $copies; do
	lo=$(( 0x${c%-*} & ~0x1fffff )) hi=$(( (0x${c#*-} + 0x1fffff) & ~0x1fffff ))
	while read -r range what; do
		s=$((0x${range%-*})) e=$((0x${range#*-}))
		[ $s -lt $hi ] && [ $e -gt $lo ] || continue
		[ "$what" = copy ] || [ "$what" = "$real" ] || fail "$range ($what) shares a 2 MB window with the copy $c"
	done < "$TMP/kinds"
done
exit 0
