# Bad input gets a clear message and the right behaviour: a shell's exit
# statuses, scripts work, what hugexec cannot help runs unmodified with one
# note (none with -q), a program that dies before its entry point keeps
# its own message and status.
. tests/integration/lib.sh
need_ptrace
chmod 755 "$TMP"
"$H" no-such-command-xyz 2>"$TMP/e"; rc=$?
[ $rc = 127 ] || fail "not found: status $rc"
grep -qx 'hugexec: no-such-command-xyz: command not found' "$TMP/e" || fail "not found: $(cat "$TMP/e")"
# a path (with a slash) that is not there is named as a shell names it
"$H" ./no-such-file-xyz 2>"$TMP/e"; rc=$?
[ $rc = 127 ] && grep -qx 'hugexec: ./no-such-file-xyz: No such file or directory' "$TMP/e" ||
	fail "missing path: status $rc: $(cat "$TMP/e")"
echo data > "$TMP/plain.txt"
"$H" "$TMP/plain.txt" 2>"$TMP/e"; rc=$?
[ $rc = 126 ] && grep -q 'Permission denied' "$TMP/e" || fail "non-executable file: $rc $(cat "$TMP/e")"
"$H" /tmp 2>"$TMP/e"; rc=$?
[ $rc = 126 ] && grep -qx 'hugexec: /tmp: Is a directory' "$TMP/e" || fail "directory: $rc $(cat "$TMP/e")"
PATH=/nonexistent "$H" ls 2>/dev/null; [ $? = 127 ] || fail "PATH is not searched"
# a script whose interpreter is missing: named, as shells do
printf '#!/nonexistent/interp\necho hi\n' > "$TMP/badinterp"; chmod +x "$TMP/badinterp"
"$H" "$TMP/badinterp" 2>"$TMP/e"; rc=$?
[ $rc = 127 ] && grep -q 'bad interpreter /nonexistent/interp: No such file or directory' "$TMP/e" ||
	fail "missing #! interpreter: status $rc: $(cat "$TMP/e")"

# scripts: #! works; the interpreter is the program that gets remapped
printf '#!/bin/sh\necho "script $1"\nexit 3\n' > "$TMP/s.sh"; chmod +x "$TMP/s.sh"
capture sp "$TMP/s.sh" x; capture sh "$H" "$TMP/s.sh" x
same_run sp sh
[ "$(cat "$TMP/sh.out")" = "script x" ] || fail "script output"
printf 'echo from-sh\n' > "$TMP/noshebang"; chmod +x "$TMP/noshebang"
[ "$("$H" "$TMP/noshebang")" = from-sh ] || fail "a script without #! is not run by sh"
if [ "$(thp_mode)" = madvise ] || [ "$(thp_mode)" = always ]; then
	printf '#!%s\n' "$P/bigtext-pie" > "$TMP/big.sh"; chmod +x "$TMP/big.sh"
	SELFCHECK=1 capture bs "$H" "$TMP/big.sh"
	[ "$(field "$TMP/bs.err" huge_kb)" -ge "$(field "$TMP/bs.err" interior_kb)" ] ||
		fail "the #! interpreter was not remapped: $(cat "$TMP/bs.err")"
fi

# 32-bit and foreign ELF: unmodified, one note, silent with -q
"$P/mkelf" i386 "$TMP/elf32"
"$TMP/elf32" 2>/dev/null; want=$?
# (a kernel without 32-bit support refuses to exec it: ENOEXEC, 126 from
# the shell; hugexec then says so too, as the shell would, and with -q
# that is all it says)
lines=1 quiet=0 # (quiet: what -q still prints)
if [ $want = 126 ]; then
	lines=2 quiet=1
	note "this kernel runs no 32-bit program: the 32-bit cases check the message and the refusal"
fi
"$H" "$TMP/elf32" 2>"$TMP/e"; rc=$?
[ $rc = $want ] || fail "32-bit program: status $rc, plain $want"
[ "$(grep -c . "$TMP/e")" = $lines ] && grep -q '32-bit program.*running it unmodified' "$TMP/e" || fail "32-bit: $(cat "$TMP/e")"
"$H" -q "$TMP/elf32" 2>"$TMP/e"; [ "$(grep -c . "$TMP/e")" = $quiet ] && ! grep -q '32-bit program' "$TMP/e" ||
	fail "-q is not quiet: $(cat "$TMP/e")"
"$P/mkelf" aarch64 "$TMP/arm"
"$H" "$TMP/arm" 2>"$TMP/e"; rc=$?
[ $rc = 126 ] || fail "aarch64 ELF: status $rc"
grep -q 'not an x86-64 program' "$TMP/e" || fail "aarch64: $(cat "$TMP/e")"
# a script whose interpreter is 32-bit: judged by the interpreter, before
# the exec; --strict stops it with 125 and it does not run
printf '#!%s\n' "$TMP/elf32" > "$TMP/s32"; chmod +x "$TMP/s32"
"$TMP/s32" 2>/dev/null; swant=$? # (no 32-bit support: execvp's sh fallback, as hugexec's)
"$H" "$TMP/s32" 2>"$TMP/e"; rc=$?
[ $rc = $swant ] && grep -q '32-bit interpreter.*running it unmodified' "$TMP/e" || fail "32-bit #!: $rc $(cat "$TMP/e")"
"$H" --strict "$TMP/s32" 2>"$TMP/e"; rc=$?
[ $rc = 125 ] || fail "--strict, 32-bit #!: status $rc: $(cat "$TMP/e")"
# a FIFO named as the interpreter: the kernel refuses it (126); hugexec
# must not block opening it
mkfifo "$TMP/fifo" && printf '#!%s\n' "$TMP/fifo" > "$TMP/sfifo" && chmod +x "$TMP/sfifo"
"$TMP/sfifo" 2>/dev/null; fwant=$?
timeout 20 "$H" "$TMP/sfifo" 2>/dev/null; rc=$?
[ $rc = $fwant ] || fail "FIFO as interpreter: status $rc, plain $fwant"
# the tracer's own check (for what the precheck cannot see): --strict makes
# the 32-bit program exit 125 with an i386 system call, no crash
# (it must exec to be seen there: not on a kernel without 32-bit support)
if [ $quiet = 0 ]; then
	HUGEXEC_TEST_NO_PRECHECK=1 "$HT" --strict "$TMP/elf32" 2>"$TMP/e"; rc=$?
	[ $rc = 125 ] && grep -q '32-bit program.*--strict: exit 125' "$TMP/e" || fail "--strict in the tracer, 32-bit: $rc $(cat "$TMP/e")"
	HUGEXEC_TEST_NO_PRECHECK=1 "$HT" "$TMP/elf32" 2>"$TMP/e"; rc=$?
	[ $rc = $want ] || fail "32-bit program past the precheck: status $rc, plain $want: $(cat "$TMP/e")"
fi

# a program that dies before its entry point: its own message and status
printf 'int f(void) { return 1; }\n' > "$TMP/l.c"
printf 'int f(void); int main(void) { return f(); }\n' > "$TMP/m.c"
cc -shared -fPIC -o "$TMP/libgone.so" "$TMP/l.c" && cc -o "$TMP/needs" "$TMP/m.c" -L"$TMP" -lgone ||
	fail "cannot build the missing-library program"
rm "$TMP/libgone.so"
capture np "$TMP/needs"; capture nh "$H" "$TMP/needs"
same_run np nh
sed "s|^hugexec: ||" "$TMP/nh.err" | cmp -s - "$TMP/np.err" || fail "missing library: $(cat "$TMP/nh.err")"
[ "$(cat "$TMP/nh.rc")" = 127 ] || fail "missing library: status $(cat "$TMP/nh.rc")"

# no huge pages obtainable: unmodified, one note; --strict exits 125 first
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if [ "$free" = 0 ]; then
	capture tp "$P/bigtext-pie" --calls 1000
	capture th "$P/thpoff" "$H" "$P/bigtext-pie" --calls 1000
	same_run tp th
	[ "$(grep -c . "$TMP/th.err")" = 1 ] && grep -q 'no huge pages available.*running it unmodified' "$TMP/th.err" ||
		fail "no huge pages: $(cat "$TMP/th.err")"
	capture ts "$P/thpoff" "$H" --strict "$P/bigtext-pie" --calls 1000
	[ "$(cat "$TMP/ts.rc")" = 125 ] || fail "--strict without huge pages: status $(cat "$TMP/ts.rc")"
	[ ! -s "$TMP/ts.out" ] || fail "--strict: the program ran"
else
	note "hugetlb pages are free here: the no-huge-pages case is not tested"
fi

# ptrace refused (seccomp, as in many containers): unmodified, one note
capture pp "$P/bigtext-pie" --calls 1000
capture ph "$P/noptrace" "$H" "$P/bigtext-pie" --calls 1000
same_run pp ph
grep -q 'cannot trace the program.*running it unmodified' "$TMP/ph.err" || fail "ptrace refused: $(cat "$TMP/ph.err")"

# setuid program run by a non-root user: untraced (it keeps its privileges)
if is_root && command -v setpriv >/dev/null; then
	cp /usr/bin/id "$TMP/id-suid" && chmod 4755 "$TMP/id-suid"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	capture up as_nobody "$TMP/id-suid" -u
	capture uh as_nobody "$H" "$TMP/id-suid" -u
	same_run up uh
	[ "$(cat "$TMP/uh.out")" = 0 ] || fail "setuid lost its privilege: euid $(cat "$TMP/uh.out")"
	grep -q 'setuid.*running it unmodified' "$TMP/uh.err" || fail "setuid: $(cat "$TMP/uh.err")"
	# ... also when it is the interpreter of a script (its set-id bits are
	# the ones the kernel honours)
	printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("%%d\\n", (int)geteuid()); return 0; }\n' > "$TMP/euid.c"
	cc -o "$TMP/euid" "$TMP/euid.c" || fail "cannot build euid"
	chmod 4755 "$TMP/euid"
	printf '#!%s\n' "$TMP/euid" > "$TMP/euid.sh"; chmod 755 "$TMP/euid.sh"
	capture ip as_nobody "$TMP/euid.sh"
	capture ih as_nobody "$H" "$TMP/euid.sh"
	same_run ip ih
	[ "$(cat "$TMP/ih.out")" = 0 ] || fail "setuid interpreter lost its privilege: euid $(cat "$TMP/ih.out")"
	grep -q 'interpreter .* setuid.*running it unmodified' "$TMP/ih.err" || fail "setuid interpreter: $(cat "$TMP/ih.err")"
else
	note "not root: the setuid case is not tested"
fi
