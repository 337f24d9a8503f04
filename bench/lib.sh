# lib.sh - shared by bench/run.sh and the bench/wl_*.sh workloads (sourced,
# bash). Paths, progress lines, recording samples and skips, the hugetlb
# pool, package installs, helper builds, and the cleanup that runs on every
# exit path (servers stopped by PID, mounts undone, pool restored, temp dir
# removed).
# Must never: kill a process it did not start, or leave the hugetlb pool,
# a mount or a temp dir changed after the bench ends.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HX=$ROOT/build/hugexec
BB=$ROOT/build/bench                 # generated programs and helpers (not in git)
BR=$BB/benchrun                      # bench/benchrun.c
EVICT=$ROOT/build/progs/evict        # tests/tools/evict.c
POOL=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
T_START=$(date +%s)

# --- progress and records ------------------------------------------------

log() { # a progress line, with the time since the start
	local s=$(( $(date +%s) - T_START ))
	printf '[%2d:%02d] %s\n' $((s / 60)) $((s % 60)) "$*"
}

# record key=value ...: one sample (one run) as a tab-separated line in
# $WORK/samples.tsv; bench/report.sh turns these into the JSON and tables.
record() {
	local IFS=$'\t'
	printf '%s\n' "$*" >> "$WORK/samples.tsv"
}

# skip WORKLOAD CONFIG REASON...: a configuration that cannot be measured.
skip() {
	local wl=$1 cfg=$2; shift 2
	log "SKIP $wl/$cfg: $*"
	printf '%s\t%s\t%s\n' "$wl" "$cfg" "$*" >> "$WORK/skipped.tsv"
}

# note TEXT: a remark that goes into the JSON and the Markdown.
note() {
	log "note: $*"
	printf '%s\n' "$*" >> "$WORK/notes.txt"
}

# kv KEY "k=v k=v ...": the value of KEY in a benchrun result line.
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# ns_to_s NS: seconds with 6 decimals.
ns_to_s() { awk -v n="$1" 'BEGIN { printf "%.6f", n / 1e9 }'; }

# hx_line FILE: hugexec's -v summary line in a stderr file ("" if none).
hx_line() { grep -m1 '^hugexec: .* text on 2 MB pages' "$1" 2>/dev/null | tr '\t' ' '; }
# hx_ms FILE / hx_mb FILE: remap milliseconds and MB on 2 MB pages from it.
hx_ms() { hx_line "$1" | sed -n 's/.*, \([0-9.]*\) ms$/\1/p'; }
hx_mb() { hx_line "$1" | sed -n 's/^hugexec: [^:]*: \([0-9]*\) MB of .*/\1/p'; }
# hx_why FILE: hugexec's other notes (why it did not remap), one line.
hx_why() { grep '^hugexec: ' "$1" 2>/dev/null | grep -v 'text on 2 MB pages' | head -n 2 | tr '\t\n' '  '; }

# selfcheck_kb FILE KEY: a field of the "selfcheck:" line a test program
# prints with SELFCHECK=1 (text_kb, huge_kb, ...).
selfcheck_kb() { sed -n "s/^selfcheck: .* $2=\([0-9]*\).*/\1/p" "$1" | head -n 1; }

# --- cleanup ---------------------------------------------------------------

PIDS=""          # servers we started and must stop
MOUNTS=""        # mounts we made
HX_PIDS=""       # target PIDs run through hugexec (their /tmp/perf-PID.map)

track_pid() { PIDS="$PIDS $1"; }
untrack_pid() { PIDS=$(printf '%s\n' $PIDS | grep -vx "$1" | tr '\n' ' '); }
perfmap_pid() { [ -n "$1" ] && HX_PIDS="$HX_PIDS $1"; }

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL; only our own children.
stop_pid() {
	local pid=$1 wait_s=${2:-20} i
	kill -0 "$pid" 2>/dev/null || { untrack_pid "$pid"; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < wait_s * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	untrack_pid "$pid"
}

cleanup() {
	local rc=$? p m
	trap - EXIT INT TERM
	for p in $PIDS; do stop_pid "$p" 10; done
	for m in $MOUNTS; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	pool_restore
	# hugexec writes /tmp/perf-PID.map for symbolizers; ours are ours to remove
	for p in $HX_PIDS; do
		[ -f "/tmp/perf-$p.map" ] && [ "/tmp/perf-$p.map" -nt "$WORK/started" ] &&
			rm -f "/tmp/perf-$p.map"
	done
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench: BENCH_KEEP set: work dir kept: $WORK" >&2
	elif [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		rm -rf "$WORK"
	fi
	return $rc
}

on_signal() {
	log "interrupted: cleaning up"
	exit 130
}

# setup_work: the temp dir and the traps; call once from run.sh.
setup_work() {
	WORK=$(mktemp -d /tmp/hugexec-bench.XXXXXX) || exit 1
	touch "$WORK/started" "$WORK/samples.tsv" "$WORK/skipped.tsv" "$WORK/notes.txt"
	trap cleanup EXIT
	trap on_signal INT TERM HUP
}

# --- the hugetlb pool --------------------------------------------------------

# pool_reserve PAGES: make the pool hold PAGES more 2 MB pages than before
# the bench raised it, and set POOL_FREE to its free pages. Needs root. The
# bench remembers only how many pages it added (POOL_ADDED) and takes back
# exactly those: another user of the pool (a test suite) that raises and
# restores it meanwhile is not undone. Not in a $(...) subshell: the count
# must reach cleanup.
POOL_ADDED=0
pool_reserve() {
	local cur base got
	POOL_FREE=0
	[ -w "$POOL" ] || return 1
	cur=$(cat "$POOL")
	base=$(( cur - POOL_ADDED ))
	[ "$base" -lt 0 ] && base=0
	echo $(( base + $1 )) > "$POOL" 2>/dev/null
	got=$(cat "$POOL")
	POOL_ADDED=$(( got - base ))
	[ "$POOL_ADDED" -lt 0 ] && POOL_ADDED=0
	POOL_FREE=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
}

pool_restore() {
	local cur target
	[ "$POOL_ADDED" -gt 0 ] && [ -w "$POOL" ] || return 0
	cur=$(cat "$POOL")
	target=$(( cur - POOL_ADDED ))
	[ "$target" -lt 0 ] && target=0
	echo "$target" > "$POOL" 2>/dev/null
	[ "$(cat "$POOL")" = "$target" ] ||
		echo "bench: could not put $POOL back to $target (now $(cat "$POOL"))" >&2
	POOL_ADDED=0
}

# --- packages and builds -----------------------------------------------------

APT_UPDATED=""
# need_deb PACKAGE...: install the Debian packages not yet installed (as
# root, with apt-get). Returns 1 with the reason in $NEED_WHY otherwise.
need_deb() {
	local missing=() p
	NEED_WHY=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		NEED_WHY="not root: cannot apt-get install ${missing[*]}"
		return 1
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		NEED_WHY="no apt-get to install ${missing[*]}"
		return 1
	fi
	log "installing ${missing[*]} (apt-get)"
	if [ -z "$APT_UPDATED" ]; then
		apt-get update -qq >/dev/null 2>&1
		APT_UPDATED=1
	fi
	# The bench starts its own servers; a packaged service that the install
	# starts (where policy-rc.d allows it) is not used, nor stopped, here.
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" > "$WORK/apt.log" 2>&1; then
		NEED_WHY="apt-get install ${missing[*]} failed: $(tail -n 1 "$WORK/apt.log")"
		return 1
	fi
}

# need_pkg COMMAND PACKAGE...: make COMMAND available (need_deb if missing).
need_pkg() {
	local cmd=$1; shift
	NEED_WHY=""
	command -v "$cmd" >/dev/null 2>&1 && return 0
	need_deb "$@" || return 1
	command -v "$cmd" >/dev/null 2>&1 || { NEED_WHY="$cmd still missing after installing $*"; return 1; }
}

# build_helpers: benchrun and the bigtext timing shell's object.
build_helpers() {
	mkdir -p "$BB"
	if [ ! -x "$BR" ] || [ "$ROOT/bench/benchrun.c" -nt "$BR" ]; then
		cc -O2 -g -Wall -o "$BR" "$ROOT/bench/benchrun.c" || return 1
	fi
	if [ ! -f "$BB/libinproc.so" ] || [ "$ROOT/bench/inproc_remap.c" -nt "$BB/libinproc.so" ]; then
		cc -O2 -shared -fPIC -Wall -o "$BB/libinproc.so" "$ROOT/bench/inproc_remap.c" || return 1
	fi
	local o=$BB/bigtext_main.o
	if [ ! -f "$o" ] || [ "$ROOT/bench/bigtext_main.c" -nt "$o" ] ||
		[ "$ROOT/tests/tools/selfcheck.h" -nt "$o" ]; then
		cc -O2 -g -I"$ROOT/tests/tools" -Dmain=bt_main -c -o "$o" "$ROOT/bench/bigtext_main.c" || return 1
	fi
}

# build_bigtext MB [hlfs]: build/bench/bt$MB (non-PIE, the timing shell of
# bench/bigtext_timed.c) with MB megabytes of generated text; with "hlfs",
# build/bench/bt${MB}-hlfs: the same objects relinked for libhugetlbfs
# (ld.hugetlbfs --hugetlbfs-align, linked against libhugetlbfs). Prints the
# path. Rebuilt only when a source is newer.
build_bigtext() {
	local mb=$1 kind=${2:-} s=$BB/bt$1.S out=$BB/bt$1 extra=() src
	[ "$kind" = hlfs ] && out=$BB/bt$1-hlfs
	if [ ! -f "$s" ] || [ "$ROOT/build/gen_bigtext" -nt "$s" ]; then
		"$ROOT/build/gen_bigtext" --text-mb "$mb" > "$s.tmp" && mv "$s.tmp" "$s" || return 1
	fi
	local up=0
	for src in "$s" "$BB/bigtext_main.o" "$ROOT/bench/bigtext_timed.c" "$ROOT/tests/tools/selfcheck.c"; do
		[ "$src" -nt "$out" ] && up=1
	done
	if [ ! -x "$out" ] || [ $up = 1 ]; then
		if [ "$kind" = hlfs ]; then
			mkdir -p "$BB/hlfs-ld"
			ln -sf "$(command -v ld.hugetlbfs)" "$BB/hlfs-ld/ld"
			extra=(-B "$BB/hlfs-ld" -Wl,--hugetlbfs-align -Wl,--no-as-needed -lhugetlbfs -Wl,--as-needed
			       -DBT_NO_SELFCHECK)
		fi
		cc -O2 -g -fno-pie -no-pie -I"$ROOT/tests/tools" -o "$out.tmp" "$s" "$BB/bigtext_main.o" \
			"$ROOT/bench/bigtext_timed.c" "$ROOT/tests/tools/selfcheck.c" "${extra[@]}" \
			> "$BB/build-$(basename "$out").log" 2>&1 && mv "$out.tmp" "$out" || return 1
	fi
	printf '%s\n' "$out"
}

# pmu_ok: does perf count iTLB misses here?
pmu_ok() {
	command -v perf >/dev/null 2>&1 &&
		perf stat -x, -e iTLB-load-misses true 2>&1 >/dev/null | grep -q '^[0-9]'
}
