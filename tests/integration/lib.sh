# Shared by the integration tests: sh, not bash. Sourced from the repo root.
H=${HUGEXEC:-$PWD/build/hugexec}       # the release build users run
HT=${HUGEXEC_TEST:-$PWD/build/test/hugexec}  # sanitizers + fault switches
[ -x "$H" ] && [ -x "$HT" ] || { echo "build first: make $H $HT"; exit 99; }
P=$PWD/build/progs
# the machine's own configuration must not change what a test sees
export HUGEXEC_CONFIG=/dev/null
unset HUGEXEC_OPTIONS
EVICT=$P/evict

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
note() { echo "  $*"; }

TMP=$(mktemp -d /tmp/hugexec-test.XXXXXX) || exit 99
cleanup_hooks=""
at_exit() { cleanup_hooks="$1; $cleanup_hooks"; }
# hugexec writes /tmp/perf-PID.map for copied text (and gdb's
# hugexec-PID.sym, attach's hugexec-PID.undo); remove the ones our
# programs left (newer than the test, process gone, ours or - as root -
# nobody's, the user tests run programs as), not anyone else's: a stale
# one would make hugexec refuse the name when the PID comes round again.
touch "$TMP/.start"
perf_maps_cleanup() {
	{ find /tmp -maxdepth 1 \( -name 'perf-*.map' -o -name 'hugexec-*.sym' -o -name 'hugexec-*.undo' \) -newer "$TMP/.start" -user "$(id -u)" 2>/dev/null
	  [ "$(id -u)" = 0 ] && find /tmp -maxdepth 1 \( -name 'perf-*.map' -o -name 'hugexec-*.sym' -o -name 'hugexec-*.undo' \) -newer "$TMP/.start" -user 65534 2>/dev/null
	} | while read -r f; do
		p=${f#/tmp/perf-}; p=${p#/tmp/hugexec-}; p=${p%%.*}
		[ -d "/proc/$p" ] || rm -f "$f"
	done
}
# tracers still writing a perf map after their program ended (up to 3 s):
# a map written after the cleanup would stay, and meet a later program
# with the same PID (pid_max may be 32768)
tracers_done() { n=0; while [ $n -lt 30 ] && tracer_of "$P/" "$TMP/"; do sleep 0.1; n=$((n + 1)); done; }
trap 'eval "$cleanup_hooks"; tracers_done; perf_maps_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

is_root() { [ "$(id -u)" = 0 ]; }

# wait_for FILE PATTERN [TRIES]: until FILE holds PATTERN (grep), at most
# TRIES x 50 ms (default 200); the caller checks what it needs after.
wait_for() {
	w=0
	while [ $w -lt "${3:-200}" ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.05
		w=$((w + 1))
	done
}

# Run "$@" without address space randomization (setarch -R; inherited
# across exec): a PIE then loads at the same address every time, not
# 2 MB-aligned. Tests whose plan must not take the file backing use it:
# with ASLR a PIE lands 2 MB-aligned now and then, and its text can then
# come from the page cache with no copy at all.
norand() { setarch "$(uname -m)" -R "$@"; }

# value of key=... in the selfcheck line of file $1
field() { sed -n "s/.*selfcheck: .* $2=\([0-9a-f]*\).*/\1/p" "$1" | tail -n 1; }

# Run "$@" and keep stdout, stderr and status in $TMP/$tag.{out,err,rc}.
capture() {
	tag=$1; shift
	"$@" >"$TMP/$tag.out" 2>"$TMP/$tag.err"
	echo $? >"$TMP/$tag.rc"
}

same_run() { # tag1 tag2: same stdout and status
	cmp -s "$TMP/$1.out" "$TMP/$2.out" || fail "stdout differs: $(head -c 300 "$TMP/$1.out") vs $(head -c 300 "$TMP/$2.out")"
	cmp -s "$TMP/$1.rc" "$TMP/$2.rc" || fail "status differs: $(cat "$TMP/$1.rc") vs $(cat "$TMP/$2.rc")"
}

# Reserve N more 2 MB hugetlb pages (root); at exit take back exactly the
# pages added (not "restore the old value": someone else - a benchmark, a
# second test run - may change the pool meanwhile).
reserve_hugetlb() {
	f=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	is_root || return 1
	[ -w $f ] || return 1
	old=$(cat $f)
	echo $((old + $1)) > $f 2>/dev/null || return 1
	added=$(( $(cat $f) - old ))
	at_exit "echo \$(( \$(cat $f) - $added )) > $f"
	free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
	[ "$free" -ge "$1" ]
}

# Wait (up to 30 s: CI machines can be slow) until PID runs the program
# $2 and hugexec has let go of it (it is traced from before its exec until
# then). Fails the test if that never happens.
wait_released() {
	n=0
	while [ $n -lt 300 ]; do
		[ -d /proc/$1 ] || fail "process $1 is gone"
		# exe first: once it is the program, the tracer attached (before the
		# exec), so a TracerPid of 0 read after it means released
		exe=$(readlink /proc/$1/exe)
		tp=$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$1/status 2>/dev/null)
		[ "$exe" = "$2" ] && [ "$tp" = 0 ] && return 0
		sleep 0.1; n=$((n + 1))
	done
	fail "process $1 not released after 30 s (TracerPid $tp, exe $(readlink /proc/$1/exe))"
}

# Wait (up to 30 s) until no hugexec tracer of a program whose command
# line mentions $1 is left: the tracer writes the perf map, and its last
# lines, after the program has been let go, possibly after it exited.
wait_tracers() {
	n=0
	while [ $n -lt 300 ] && tracer_of "$1"; do
		sleep 0.1; n=$((n + 1))
	done
	[ $n -lt 300 ] || fail "a hugexec tracer of $1 is still running after 30 s"
}

# Is a hugexec tracer running for a program whose command line mentions
# one of the arguments?
tracer_of() {
	for d in /proc/[0-9]*; do
		case $(cat "$d/comm" 2>/dev/null) in hugexec | hugexec-core) ;; *) continue ;; esac
		c=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)
		for pat in "$@"; do
			case $c in *"$pat"*) return 0 ;; esac
		done
	done
	return 1
}
thp_mode() { sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; }

need_thp() {
	case $(thp_mode) in always|madvise) ;; *) skip "transparent huge pages are $(thp_mode || echo absent)";; esac
}

need_ptrace() {
	"$H" -q /bin/true || true
	out=$("$H" -v /bin/true 2>&1)
	case $out in *"cannot trace"*) skip "ptrace is not permitted here: $out";; esac
}
