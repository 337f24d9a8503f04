# Shared libraries get the same treatment as the executable: a generated
# 12 MB-text library loaded by a test program is on huge pages after
# hugexec, the output equals a plain run, the library's code is unchanged.
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
	[ "${huge:-0}" -ge "$interior" ] || fail "$backing: library $huge of $interior KB huge: $(cat "$TMP/hx.err")"
	[ "$(field "$TMP/hx.err" code_sum)" = "$(field "$TMP/plain.err" code_sum)" ] || fail "library code changed"
	note "--backing=$backing: $huge of $interior KB of the library on 2 MB pages ($(sed -n 's/.*pages (\([a-z]*\) .*/\1/p' "$TMP/hx.err"))"
done
# --exclude leaves it alone
SELFCHECK=1 SELFCHECK_LIB=libbigtext capture ex "$H" --exclude='*libbigtext*' "$user" --calls 30000
"$EVICT" "$lib"
SELFCHECK=1 SELFCHECK_LIB=libbigtext capture ex "$H" --exclude='*libbigtext*' "$user" --calls 30000
[ "$(field "$TMP/ex.err" huge_kb)" = 0 ] || fail "--exclude did not leave the library alone"
exit 0
