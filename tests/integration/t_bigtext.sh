# The generated 32 MB-text program, PIE, non-PIE and static: after hugexec
# its 2 MB-aligned text interior is on huge pages (its own smaps says so),
# its output and the checksum of its code equal a plain run's, and the
# plain run - page cache evicted first - was on 4 KB pages.
. tests/integration/lib.sh
need_ptrace
need_thp
for kind in pie nopie static; do
	prog=$P/bigtext-$kind
	"$EVICT" "$prog" || fail "cannot evict $prog from the page cache"
	SELFCHECK=1 capture plain-$kind "$prog" --calls 50000
	interior=$(field "$TMP/plain-$kind.err" interior_kb)
	huge=$(field "$TMP/plain-$kind.err" huge_kb)
	[ "${interior:-0}" -ge 16384 ] || fail "$kind: only ${interior:-?} KB of text interior"
	[ "$huge" = 0 ] || fail "$kind: the plain run already had $huge KB on huge pages; the test would prove nothing"
	for build in "$H" "$HT"; do
		SELFCHECK=1 capture hx-$kind "$build" -v "$prog" --calls 50000
		same_run plain-$kind hx-$kind
		# its own interior: ASLR may place a PIE 2 MB-aligned, with more of it
		huge=$(field "$TMP/hx-$kind.err" huge_kb) interior=$(field "$TMP/hx-$kind.err" interior_kb)
		[ "${huge:-0}" -ge "$interior" ] || fail "$kind ($build): $huge of $interior KB on huge pages: $(cat "$TMP/hx-$kind.err")"
		[ "$(field "$TMP/hx-$kind.err" code_sum)" = "$(field "$TMP/plain-$kind.err" code_sum)" ] ||
			fail "$kind: the code bytes changed"
		grep -q "of text on 2 MB pages" "$TMP/hx-$kind.err" || fail "$kind: no -v summary"
		note "$kind ($(basename "$(dirname "$build")")/hugexec): $huge of $interior KB huge, $(sed -n 's/.*pages (\(.*\)),.*/\1/p' "$TMP/hx-$kind.err")"
	done
done
