# make install / uninstall with PREFIX and DESTDIR: the two programs (the
# installed launcher finds its core, and the core the launcher: record),
# a man page that man renders without a warning and that names every
# option of --help, the docs; uninstall removes exactly what install put
# there. A launcher without its core still runs every program (unmodified
# where there would be something to remap, and says so).
. tests/integration/lib.sh
D=$TMP/stage
make -s install DESTDIR="$D" PREFIX=/usr >/dev/null || fail "make install"
for f in usr/bin/hugexec usr/libexec/hugexec/hugexec-core usr/share/man/man1/hugexec.1 \
	usr/share/doc/hugexec/README.md \
	usr/share/doc/hugexec/operations.md usr/share/doc/hugexec/report.md; do
	[ -e "$D/$f" ] || fail "not installed: $f"
done
"$D/usr/bin/hugexec" --version | grep -q '^hugexec [0-9]' || fail "the installed binary"
case $("$H" -v /bin/true 2>&1) in *"cannot trace"*) traceable=no ;; *) traceable=yes ;; esac
if [ $traceable = yes ]; then
	capture plain "$P/bigtext-pie" --calls 1000
	capture inst "$D/usr/bin/hugexec" -v "$P/bigtext-pie" --calls 1000
	same_run plain inst
	grep -q 'on 2 MB pages' "$TMP/inst.err" || fail "the installed hugexec did not remap: $(cat "$TMP/inst.err")"
	"$D/usr/bin/hugexec" status $$ >/dev/null 2>"$TMP/st.err" ||
		fail "the installed hugexec status: $(cat "$TMP/st.err")"
	"$D/usr/bin/hugexec" record -q -o "$TMP/r.prof" --duration 0.2 -- "$P/bigtext-pie" --calls 1000 \
		>/dev/null 2>"$TMP/rec.err" || fail "the installed hugexec record: $(cat "$TMP/rec.err")"
	# the launcher alone
	mkdir "$TMP/solo" && cp "$H" "$TMP/solo/hugexec"
	capture solo_true "$TMP/solo/hugexec" /bin/true
	[ "$(cat "$TMP/solo_true.rc")" = 0 ] && [ ! -s "$TMP/solo_true.err" ] ||
		fail "a program with nothing to remap needs no core: $(cat "$TMP/solo_true.err")"
	capture solo "$TMP/solo/hugexec" "$P/bigtext-pie" --calls 1000
	same_run plain solo
	grep -q 'hugexec-core is not installed beside hugexec; running it unmodified' "$TMP/solo.err" ||
		fail "no core: $(cat "$TMP/solo.err")"
	"$TMP/solo/hugexec" status $$ >/dev/null 2>"$TMP/solo_st.err"
	[ $? = 125 ] && grep -q 'cannot start hugexec-core' "$TMP/solo_st.err" ||
		fail "a subcommand without the core: $(cat "$TMP/solo_st.err")"
	# A core that cannot start (its libraries missing, say): the program
	# runs on unmodified from its entry stop, whichever way it was
	# stopped (the test build forces each; with the fault and the debug
	# register it waits in a signal's delivery stop, which the kernel's
	# detach must drop), and --report says so; --strict takes it down.
	mkdir "$TMP/dead" && cp "$HT" "$TMP/dead/hugexec"
	printf '#!/bin/sh\necho "core: cannot start" >&2\nexit 127\n' >"$TMP/dead/hugexec-core"
	chmod +x "$TMP/dead/hugexec-core"
	for stop in int3 fault hw; do
		capture dead_$stop env HUGEXEC_TEST_ENTRY_STOP=$stop "$TMP/dead/hugexec" \
			--report="$TMP/dead.json" "$P/bigtext-pie" --calls 1000
		same_run plain dead_$stop
		grep -q 'core: cannot start' "$TMP/dead_$stop.err" ||
			fail "the core did not run ($stop): $(cat "$TMP/dead_$stop.err")"
		grep -q '"outcome": *"unchanged"' "$TMP/dead.json" && grep -q 'hugexec-core did not start' "$TMP/dead.json" ||
			fail "the report of a core that did not start: $(cat "$TMP/dead.json")"
	done
	"$TMP/dead/hugexec" --strict "$P/bigtext-pie" --calls 1000 >"$TMP/dead_strict.out" 2>&1
	[ $? = 137 ] && ! grep -q checksum "$TMP/dead_strict.out" ||
		fail "--strict with a core that cannot start ran the program: $(cat "$TMP/dead_strict.out")"
else
	note "ptrace is not permitted here: the installed programs are not run"
fi
if command -v man >/dev/null && command -v groff >/dev/null; then
	w=$(MANWIDTH=80 man --warnings -l "$D/usr/share/man/man1/hugexec.1" 2>&1 >"$TMP/man.txt")
	[ -z "$w" ] || fail "man warns: $w"
	grep -q 'EXIT STATUS' "$TMP/man.txt" || fail "the man page did not render"
	# every option --help lists is in the man page, and every variable
	for opt in $("$H" --help | grep -o -- '--[a-z][a-z-]*' | sort -u) HUGEXEC_OPTIONS HUGEXEC_CONFIG HUGEXEC_DISABLE; do
		grep -q -- "$opt" "$TMP/man.txt" || fail "the man page lacks $opt"
	done
else
	note "no man/groff: the man page is not rendered"
fi
make -s uninstall DESTDIR="$D" PREFIX=/usr >/dev/null || fail "make uninstall"
left=$(find "$D" -type f | head -5)
[ -z "$left" ] || fail "left after uninstall: $left"
exit 0
