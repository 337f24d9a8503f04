# Hardened targets: under PR_SET_MDWE, under a seccomp filter like systemd's
# MemoryDenyWriteExecute=, under one that also kills on
# process_vm_readv/writev (a staging area mapped r-x from the start and
# filled by the tracer), and under one that refuses fstat (a copy instead of
# the pread fill), the program still gets its huge pages and runs as plain. A program already being traced (strace) is not broken. Yama
# ptrace_scope is honoured where Yama exists.
. tests/integration/lib.sh
need_ptrace
need_thp
prog=$P/bigtext-pie
capture plain "$prog" --calls 1000
for mode in mdwe sysmdwe nocopy nofstat; do
	SELFCHECK=1 capture $mode "$P/hardened" $mode "$H" -v --backing=thp "$prog" --calls 1000
	[ "$(cat "$TMP/$mode.rc")" = 77 ] && { note "$mode: not supported by this kernel"; continue; }
	same_run plain $mode
	h=$(field "$TMP/$mode.err" huge_kb) i=$(field "$TMP/$mode.err" interior_kb)
	[ "${h:-0}" -ge "$i" ] || fail "$mode: $h of $i KB huge: $(cat "$TMP/$mode.err")"
	note "$mode: $h KB on 2 MB pages"
done
# a systemd unit's restrictions together, as far as this machine can
# without systemd as PID 1: User= (nobody), NoNewPrivileges=yes,
# MemoryDenyWriteExecute=yes (the filter and, where the kernel has it,
# PR_SET_MDWE); the program keeps its PID, so Type=notify reaches systemd
if is_root && command -v setpriv >/dev/null; then
	for mode in sysmdwe mdwe; do
		SELFCHECK=1 capture unit setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
			"$P/hardened" $mode "$H" -v --backing=thp "$prog" --calls 1000
		[ "$(cat "$TMP/unit.rc")" = 77 ] && continue
		same_run plain unit
		h=$(field "$TMP/unit.err" huge_kb) i=$(field "$TMP/unit.err" interior_kb)
		[ "${h:-0}" -ge "$i" ] || fail "unit ($mode): $h of $i KB huge: $(cat "$TMP/unit.err")"
		note "as a unit (nobody, no_new_privs, $mode): $h KB on 2 MB pages"
	done
fi
# the r-x-from-the-start path is what ran under MDWE
SELFCHECK=1 "$P/hardened" mdwe "$H" -vv --backing=thp "$prog" --calls 10 2>&1 >/dev/null |
	grep -q 'tracer-copy' || fail "MDWE: not the tracer-copy path"
# a filter that refuses one call of the pread fill: the plan copies from
# memory instead of reading the file
SELFCHECK=1 "$P/hardened" nofstat "$H" -vv --backing=thp "$prog" --calls 10 >/dev/null 2>"$TMP/np.err"
grep -q ' read-file ' "$TMP/np.err" && fail "fstat refused, yet the plan reads the file: $(cat "$TMP/np.err")"
grep -q '^      copy ' "$TMP/np.err" || fail "fstat refused: no copy step: $(cat "$TMP/np.err")"

# already traced: hugexec cannot attach, says so, the program runs
if command -v strace >/dev/null; then
	capture st strace -f -o /dev/null "$H" "$prog" --calls 1000
	same_run plain st
	grep -q 'cannot trace the program: it is already traced by process [0-9]*.*running it unmodified' "$TMP/st.err" || fail "under strace: $(cat "$TMP/st.err")"
else
	note "strace is not installed: the already-traced case is not tested"
fi

# A seccomp filter that sends a call to a listener nobody answers
# (RET_USER_NOTIF): hugexec's probe of that call must give up after its
# deadline, never hold the program stopped for good (it used to).
timeout -s KILL 30 "$P/hardened" notif "$H" -v "$prog" --calls 1000 >"$TMP/nt.out" 2>"$TMP/nt.err"
echo $? >"$TMP/nt.rc"
if [ "$(cat "$TMP/nt.rc")" = 77 ]; then
	note "no seccomp user notification here: the blocking probe is not tested"
else
	[ "$(cat "$TMP/nt.rc")" != 137 ] || fail "held the program stopped: killed after 30 s: $(cat "$TMP/nt.err")"
	same_run plain nt
fi

if [ -r /proc/sys/kernel/yama/ptrace_scope ]; then
	note "Yama ptrace_scope=$(cat /proc/sys/kernel/yama/ptrace_scope): covered by every other test"
else
	note "no Yama on this kernel: ptrace_scope 1/2 cannot be exercised here"
fi
exit 0
