# Shared by the integration tests: sh, not bash. Sourced from the repo root.
H=${HUGEXEC:-$PWD/build/hugexec}       # the release build users run
HT=${HUGEXEC_TEST:-$PWD/build/test/hugexec}  # sanitizers + fault switches
[ -x "$H" ] && [ -x "$HT" ] || { echo "build first: make $H $HT"; exit 99; }
P=$PWD/build/progs
EVICT=$P/evict

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
note() { echo "  $*"; }

TMP=$(mktemp -d /tmp/hugexec-test.XXXXXX) || exit 99
cleanup_hooks=""
at_exit() { cleanup_hooks="$1; $cleanup_hooks"; }
trap 'eval "$cleanup_hooks"; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

is_root() { [ "$(id -u)" = 0 ]; }

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

# Reserve N free 2 MB hugetlb pages (root), restoring the pool at exit.
reserve_hugetlb() {
	f=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	is_root || return 1
	[ -w $f ] || return 1
	old=$(cat $f)
	at_exit "echo $old > $f"
	echo $((old + $1)) > $f 2>/dev/null || return 1
	free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
	[ "$free" -ge "$1" ]
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
