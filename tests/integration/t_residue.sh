#!/bin/sh
# Nothing of the launch stays on the program once hugexec lets go: its
# signal dispositions and mask, limits, descriptors, prctl and scheduler
# state are a plain run's, and all four hardware breakpoint slots are free
# (a debug-register entry stop used to keep one registered, and every
# context switch of the main thread paid for it: docs/residue.md). Also a
# program started with SIGSEGV and SIGTRAP ignored and blocked keeps them
# (the stop raises one of them), with and without a followed exec, and its
# text is the file's (the int3's page copy is dropped again).
. tests/integration/lib.sh

# stdout through a pipe and stderr to one file, so that fds 1 and 2 read
# the same in every run
report() { # tag cmd...: the program's report, minus what differs by design
	tag=$1; shift
	"$@" 2>"$TMP/stderr" | cat >"$TMP/$tag.raw"
	cp "$TMP/stderr" "$TMP/$tag.err"
	grep -v '^map ' "$TMP/$tag.raw" >"$TMP/$tag.out"
}
same() { # tag1 tag2 [ignore-regex]
	if [ -n "${3:-}" ]; then
		grep -Ev "$3" "$TMP/$1.out" >"$TMP/$1.cmp"; grep -Ev "$3" "$TMP/$2.out" >"$TMP/$2.cmp"
	else
		cp "$TMP/$1.out" "$TMP/$1.cmp"; cp "$TMP/$2.out" "$TMP/$2.cmp"
	fi
	diff "$TMP/$1.cmp" "$TMP/$2.cmp" >"$TMP/diff" ||
		fail "$2 differs from $1: $(head -c 600 "$TMP/diff")"
}

# SIGTRAP and SIGSEGV ignored and blocked, as a supervisor may start a
# program; SIGCHLD blocked too (hugexec's own child must leave none pending)
trap_off() {
	perl -e 'use POSIX; $SIG{TRAP} = "IGNORE"; $SIG{SEGV} = "IGNORE";
		 sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGTRAP, SIGSEGV, SIGCHLD));
		 exec @ARGV or exit 127' "$@"
}

for prog in residue residue-static; do
	report plain "$P/$prog"
	grep -q '^hw-breakpoints ' "$TMP/plain.out" || fail "$prog printed no report"
	# nothing to remap; --follow-exec=0 lets go at the entry stop
	report hx "$H" --follow-exec=0 "$P/$prog"
	same plain hx
	report plain_off trap_off "$P/$prog"
	grep -q '^sigaction 5 ign' "$TMP/plain_off.out" || fail "the wrapper did not ignore SIGTRAP"
	report hx_off trap_off "$H" --follow-exec=0 "$P/$prog"
	same plain_off hx_off
	# the fault fallback (used where text cannot be written); the test
	# build is ASan's, which must not take SIGSEGV for itself
	report hx_ft trap_off env ASAN_OPTIONS=handle_segv=0 HUGEXEC_TEST_ENTRY_STOP=fault "$HT" -vv --follow-exec=0 "$P/$prog"
	same plain_off hx_ft
	[ $prog = residue-static ] || grep -q 'stopped at the entry point by AT_ENTRY redirected to a fault' "$TMP/hx_ft.err" ||
		fail "the fault stop not used: $(cat "$TMP/hx_ft.err")"
done
# how each was stopped (-vv)
report how "$H" -vv --follow-exec=0 "$P/residue"
grep -q 'stopped at the entry point by an int3 at the entry' "$TMP/how.err" || fail "dynamic: $(cat "$TMP/how.err")"
report how "$H" -vv --follow-exec=0 "$P/residue-static"
grep -q 'stopped at the entry point by the exit of its execve' "$TMP/how.err" || fail "static: $(cat "$TMP/how.err")"
bps=$(sed -n 's/^hw-breakpoints //p' "$TMP/plain.out")
[ "$bps" -gt 0 ] || note "no hardware breakpoints here even plainly ($(grep hw-breakpoints-error "$TMP/plain.out")): that part compared 0 with 0"

# A followed exec: env is stopped at its entry, then residue-big at its
# own, and its text is remapped; SIGTRAP still as the wrapper left it.
report plain_big trap_off "$P/residue-big" --maps
report hx_big trap_off "$H" -v env "$P/residue-big" --maps
grep -q 'on 2 MB pages' "$TMP/hx_big.err" || skip "residue-big was not remapped: $(cat "$TMP/hx_big.err")"
grep -q -- '-> residue-big' "$TMP/hx_big.err" || fail "the exec was not followed: $(cat "$TMP/hx_big.err")"
# the copied text is hugexec's (anonymous) mapping: not the file's
same plain_big hx_big '^text-private-kb '
note "hw breakpoints $bps of 4, plainly and under hugexec; SIGTRAP and SIGSEGV kept ignored and blocked"

# The entry page: the int3 made it a private copy; it is the file's again.
# -vv says so if it could not be, which must not happen here.
report vv "$H" -vv --follow-exec=0 "$P/residue"
grep -q '^text-private-kb 0$' "$TMP/vv.out" || fail "the entry page stayed a private copy: $(grep text-private "$TMP/vv.out"); $(cat "$TMP/vv.err")"
! grep -q 'entry page' "$TMP/vv.err" || fail "-vv: $(cat "$TMP/vv.err")"
# The debug register, the last resort, is said to take a slot (it does)
# (where a debug register never fires - some VMs - the program runs to its
# end without the stop: unmodified, as it must be; nothing to check)
report hw env HUGEXEC_TEST_ENTRY_STOP=hw "$HT" -vv --follow-exec=0 "$P/residue"
if [ ! -s "$TMP/hw.err" ] && grep -q '^hw-breakpoints ' "$TMP/hw.out"; then
	note "a debug register did not fire on this machine: the hw stop is not tested"
else
	grep -q 'hardware breakpoint slots stays taken' "$TMP/hw.err" || fail "hw: $(cat "$TMP/hw.err")"
fi
exit 0
