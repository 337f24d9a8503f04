# Hostile but loadable binaries: section table gone (sstrip), section table
# pointing at garbage, a build-id note that lies about its size, the most
# program headers the kernel takes (1170, moved to the end of the file),
# PT_LOADs that overlap. The kernel runs them; hugexec's test build
# (sanitizers: a bad read in the helper is a crash) must neither crash,
# hang nor refuse them: it still remaps their text (it needs only the
# program headers) and the output is plain.
# Tables the kernel refuses (65534 headers running past the end of the
# file, PN_XNUM) fail as they do without hugexec; test_elfinfo feeds them to
# the ELF reader directly.
. tests/integration/lib.sh
need_ptrace
need_thp
# a hang is a failure, not a stuck test run
LIMIT="timeout -s KILL 120"
for mode in nosections badsections lyingnote manyphdrs overlap; do
	cp "$P/bigtext-pie" "$TMP/$mode"
	"$P/elfmangle" $mode "$TMP/$mode" || fail "elfmangle $mode"
	capture p-$mode $LIMIT "$TMP/$mode" --calls 1000
	[ "$(cat "$TMP/p-$mode.rc")" = 0 ] || fail "$mode: the kernel would not run it"
	SELFCHECK=1 capture h-$mode $LIMIT "$HT" -vv --backing=thp "$TMP/$mode" --calls 1000
	same_run p-$mode h-$mode
	grep -q 'ERROR: AddressSanitizer\|runtime error\|helper killed' "$TMP/h-$mode.err" &&
		fail "$mode: $(cat "$TMP/h-$mode.err")"
	h=$(field "$TMP/h-$mode.err" huge_kb) i=$(field "$TMP/h-$mode.err" interior_kb)
	[ "${h:-0}" -ge "${i:-1}" ] || fail "$mode: $h of $i KB huge: $(cat "$TMP/h-$mode.err")"
	case $mode in
	nosections|badsections) wait_tracers "$TMP/$mode"
		grep -q 'perf map: .*has no symbols' "$TMP/h-$mode.err" ||
		fail "$mode: symbols not reported missing: $(grep perf "$TMP/h-$mode.err")" ;;
	esac
	note "$mode: $h KB on 2 MB pages"
done
for mode in hugephnum xnum; do
	cp "$P/bigtext-pie" "$TMP/$mode"
	"$P/elfmangle" $mode "$TMP/$mode" || fail "elfmangle $mode"
	capture p-$mode "$TMP/$mode" --calls 1000 # (timeout's execvp would try sh)
	[ "$(cat "$TMP/p-$mode.rc")" = 126 ] || fail "$mode: the kernel ran it (status $(cat "$TMP/p-$mode.rc"))"
	capture h-$mode $LIMIT "$H" "$TMP/$mode" --calls 1000
	same_run p-$mode h-$mode
	grep -q 'Exec format error' "$TMP/h-$mode.err" || fail "$mode: $(cat "$TMP/h-$mode.err")"
	# the test build too (LeakSanitizer cannot run in a traced process)
	ASAN_OPTIONS=detect_leaks=0 capture t-$mode $LIMIT "$HT" "$TMP/$mode" --calls 1000
	same_run p-$mode t-$mode
	note "$mode: refused by the kernel, with and without hugexec"
done
exit 0
