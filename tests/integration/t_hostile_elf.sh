# Hostile but loadable binaries: section table gone (sstrip), section table
# pointing at garbage, a build-id note that lies about its size. The kernel
# runs them; hugexec must neither crash nor refuse them: it still remaps
# their text (it needs only the program headers) and the output is plain.
. tests/integration/lib.sh
need_ptrace
need_thp
for mode in nosections badsections lyingnote; do
	cp "$P/bigtext-pie" "$TMP/$mode"
	"$P/elfmangle" $mode "$TMP/$mode" || fail "elfmangle $mode"
	capture p-$mode "$TMP/$mode" --calls 1000
	[ "$(cat "$TMP/p-$mode.rc")" = 0 ] || fail "$mode: the kernel would not run it"
	SELFCHECK=1 capture h-$mode "$H" -vv --backing=thp "$TMP/$mode" --calls 1000
	same_run p-$mode h-$mode
	h=$(field "$TMP/h-$mode.err" huge_kb) i=$(field "$TMP/h-$mode.err" interior_kb)
	[ "${h:-0}" -ge "$i" ] || fail "$mode: $h of $i KB huge: $(cat "$TMP/h-$mode.err")"
	case $mode in
	nosections|badsections) wait_tracers "$TMP/$mode"
		grep -q 'perf map: .*has no symbols' "$TMP/h-$mode.err" ||
		fail "$mode: symbols not reported missing: $(grep perf "$TMP/h-$mode.err")" ;;
	esac
	note "$mode: $h KB on 2 MB pages"
done
exit 0
