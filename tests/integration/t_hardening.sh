# The boundary: a helper that breaks out of its sandbox is killed; plans a
# compromised helper could send (damaged, or asking for forbidden things)
# are refused before any step runs. In every case the program runs
# unmodified, with one note.
. tests/integration/lib.sh
need_ptrace
need_thp
check_unmodified() { # tag prog why
	same_run base-$(basename "$2") "$1"
	[ "$(field "$TMP/$1.err" anon_kb)" = 0 ] || fail "$1: text was changed: $(cat "$TMP/$1.err")"
	grep -q "$3.*running it unmodified" "$TMP/$1.err" || fail "$1: no note about '$3': $(cat "$TMP/$1.err")"
	[ "$(grep -c '^hugexec:' "$TMP/$1.err")" = 1 ] || fail "$1: more than one line: $(cat "$TMP/$1.err")"
}
for prog in "$P/bigtext-pie" "$P/bigtext-nopie"; do
	capture base-$(basename "$prog") "$prog" --calls 1000
done
SELFCHECK=1 HUGEXEC_TEST_HELPER_ESCAPE=1 capture esc "$HT" "$P/bigtext-pie" --calls 1000
check_unmodified esc "$P/bigtext-pie" "helper killed by signal 31"
for kind in truncate:"size .* does not match" oversize:"size .* does not match" \
	    execve:"unknown op 59" munmap-stack:"munmap .* not allowed" \
	    mprotect-rwx:"mprotect .* not allowed" \
	    outside:"not made of the program's own text: not inside one r-x" \
	    wrong-pid:"plan is for PID 1" null-region:"own text: below 2 MB" \
	    stage-by-stack:"mmap .* not allowed: .*stack's growth gap"; do
	k=${kind%%:*} why=${kind#*:}
	SELFCHECK=1 HUGEXEC_TEST_EVIL_PLAN=$k capture evil-$k "$HT" "$P/bigtext-pie" --calls 1000
	check_unmodified evil-$k "$P/bigtext-pie" "$why"
done
# chains of alternatives turned into overlapping groups (non-PIE: file,
# file after eviction, THP)
SELFCHECK=1 HUGEXEC_TEST_EVIL_PLAN=overlap capture evil-overlap "$HT" "$P/bigtext-nopie" --calls 1000
check_unmodified evil-overlap "$P/bigtext-nopie" "overlap"
exit 0
