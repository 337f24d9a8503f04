# make install / uninstall with PREFIX and DESTDIR: the binary, a man page
# that man renders without a warning and that names every option of
# --help, the docs; uninstall removes exactly what install put there.
. tests/integration/lib.sh
D=$TMP/stage
make -s install DESTDIR="$D" PREFIX=/usr >/dev/null || fail "make install"
for f in usr/bin/hugexec usr/share/man/man1/hugexec.1 usr/share/doc/hugexec/README.md \
	usr/share/doc/hugexec/operations.md usr/share/doc/hugexec/report.md; do
	[ -e "$D/$f" ] || fail "not installed: $f"
done
"$D/usr/bin/hugexec" --version | grep -q '^hugexec [0-9]' || fail "the installed binary"
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
