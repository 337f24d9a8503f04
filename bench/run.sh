#!/usr/bin/env bash
# run.sh - the `make bench` driver: hugexec against plain runs and its peers,
# side by side, in one run.
#
#   bench/run.sh quick|full        (make bench-quick / make bench)
#
# Runs the workloads of bench/wl_*.sh in turn (launch overhead, remap speed,
# bigtext, node, mariadb), each configuration alternated inside every round,
# records every raw sample, and writes bench/results/latest.json (machine,
# kernel, THP, hugetlb pool, date, samples), latest.md (tables) and
# latest.png (bench/chart.sh, gnuplot). Budgets: quick <= 3 min, full <= 20
# min on the 2-core VM; every count and duration can be set from the
# environment (bench/README.md). Needs build/ from `make all`.
# Must never: leave a server, a mount, a temp dir or a changed hugetlb pool
# behind, whatever happens (lib.sh's cleanup runs on EXIT, INT and TERM).

mode=${1:-quick}
case $mode in
quick | full) ;;
*) echo "usage: bench/run.sh quick|full" >&2; exit 2 ;;
esac

. "$(dirname "$0")/lib.sh"
. "$ROOT/bench/wl_overhead.sh"
. "$ROOT/bench/wl_bigtext.sh"
. "$ROOT/bench/wl_node.sh"
. "$ROOT/bench/wl_mariadb.sh"
. "$ROOT/bench/wl_pingpong.sh"
. "$ROOT/bench/wl_layout.sh"

# --- settings: mode defaults, each overridable from the environment ---------
if [ "$mode" = full ]; then
	: "${ROUNDS:=5}" "${BT_SECONDS:=1.2}" "${LAUNCH_N:=100}" "${NODE_ITERS:=250}"
	: "${NODE_SMAPS_MS:=1500}" "${DB_SECONDS:=20}" "${DB_WARMUP:=3}" "${NODE_ROUNDS:=$((ROUNDS + 2))}"
else
	: "${ROUNDS:=5}" "${BT_SECONDS:=0.1}" "${LAUNCH_N:=30}" "${NODE_ITERS:=20}"
	: "${NODE_SMAPS_MS:=500}" "${DB_SECONDS:=2}" "${DB_WARMUP:=1}"
	: "${BT_TEXT_MB:=64}" "${BT_HOT_MB:=1 8 32 64}"
fi
: "${PP_ROUNDS:=$((ROUNDS * 2))}"
# layout: plain runs of about 1.2 s (full) or 0.6 s (quick) on this VM;
# smaps is read once the launch (up to 0.2 s with a profile) is over
[ "$mode" = full ] && : "${LAY_CALLS:=40000000}" "${LAY_ROUNDS:=$((ROUNDS * 2))}"
: "${LAY_CALLS:=20000000}" "${LAY_ROUNDS:=$ROUNDS}" "${LAY_CHAINS:=64}"
: "${LAY_REC_CALLS:=30000000}" "${LAY_SMAPS_MS:=400}" "${LAY_ATTACH_S:=0.3}"
# clang: a file of LAY_CXX_N template families compiles in about 4 s here
: "${LAY_CXX_N:=8}" "${LAY_CLANG_ROUNDS:=$ROUNDS}" "${LAY_CLANG_SMAPS_MS:=2500}"
[ "$mode" = full ] && : "${PP_TRIPS:=200000}"
: "${PP_TRIPS:=50000}"
: "${BT_ROUNDS:=$ROUNDS}" "${LAUNCH_ROUNDS:=$ROUNDS}" "${REMAP_ROUNDS:=$ROUNDS}"
: "${NODE_ROUNDS:=$ROUNDS}" "${DB_ROUNDS:=$ROUNDS}"
: "${BT_TEXT_MB:=128}" "${BT_HOT_MB:=1 8 32 128}" "${REMAP_MB:=16 64 256}"
: "${DB_THREADS:=2}" "${DB_TABLES:=4}" "${DB_TABLE_SIZE:=10000}"
: "${DB_TESTS:=oltp_read_only oltp_point_select}"
: "${WORKLOADS:=launch pingpong remap bigtext layout node mariadb}"
: "${BENCH_OUT:=$ROOT/bench/results}"
SETTINGS="ROUNDS BT_ROUNDS BT_TEXT_MB BT_HOT_MB BT_SECONDS LAUNCH_ROUNDS LAUNCH_N REMAP_ROUNDS
REMAP_MB NODE_ROUNDS NODE_ITERS NODE_SMAPS_MS DB_ROUNDS DB_SECONDS DB_WARMUP DB_THREADS DB_TABLES
DB_TABLE_SIZE DB_TESTS PP_ROUNDS PP_TRIPS LAY_CALLS LAY_ROUNDS LAY_CHAINS LAY_REC_CALLS
LAY_SMAPS_MS LAY_ATTACH_S LAY_CXX_N LAY_CLANG_ROUNDS LAY_CLANG_SMAPS_MS WORKLOADS"

for f in "$HX" "$EVICT" "$ROOT/build/gen_bigtext"; do
	[ -x "$f" ] || { echo "bench: $f missing: run make first" >&2; exit 2; }
done

setup_work
build_helpers || { echo "bench: cannot build bench/benchrun.c" >&2; exit 2; }
PMU=no
pmu_ok && PMU=yes

# --- the machine, recorded before anything is changed -----------------------
meta() { printf '%s\t%s\n' "$1" "$2" >> "$WORK/meta.tsv"; }
thp() { sed -n 's/.*\[\(.*\)\].*/\1/p' "/sys/kernel/mm/transparent_hugepage/$1" 2>/dev/null; }
meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
meta mode "$mode"
meta cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
meta cores "$(nproc)"
meta mem_mb "$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
meta kernel "$(uname -r)"
meta kernel_version "$(uname -v)"
meta thp_enabled "$(thp enabled)"
meta thp_defrag "$(thp defrag)"
meta hugetlb_pool_before "$(cat "$POOL" 2>/dev/null)"
meta hugetlb_free_before "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null)"
meta pmu "$PMU"
meta loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta root "$([ "$(id -u)" = 0 ] && echo yes || echo no)"
meta hugexec_version "$("$HX" --version 2>&1 | head -n 1)"
meta git_commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo '+dirty')"
meta cc "$(cc --version | head -n 1)"
for v in $SETTINGS; do meta "setting_$v" "${!v}"; done

log "bench ($mode): $(sed -n 's/^cpu\t//p' "$WORK/meta.tsv"), $(nproc) cores, kernel $(uname -r), THP $(thp enabled), pool $(cat "$POOL" 2>/dev/null) pages, PMU $PMU"
[ "$(id -u)" = 0 ] || note "not root: no package installs, no hugetlb pool, no hugetlbfs mount"

for wl in $WORKLOADS; do
	# the bench cannot keep other work off the machine: say how busy it was
	note "load average (1/5/15 min) when $wl started: $(cut -d' ' -f1-3 /proc/loadavg)"
	case $wl in
	launch) wl_launch ;;
	pingpong) wl_pingpong ;;
	remap) wl_remap; pool_restore ;;
	bigtext) wl_bigtext; pool_restore ;;
	node) wl_node ;;
	mariadb) wl_mariadb ;;
	layout) wl_layout ;;
	*) log "unknown workload $wl (WORKLOADS=launch pingpong remap bigtext layout node mariadb)" ;;
	esac
done
# node and mariadb ran with the machine's own pool: hugexec's auto backing
# is what a user of this machine would get.
meta hugetlb_pool_after "$(cat "$POOL" 2>/dev/null)"
meta node_version "$(node --version 2>/dev/null)"
meta mariadb_version "$(/usr/sbin/mariadbd --version 2>/dev/null | sed 's/^.*Ver //')"
meta sysbench_version "$(sysbench --version 2>/dev/null)"
meta libhugetlbfs_version "$(dpkg-query -W -f='${Version}' libhugetlbfs-bin 2>/dev/null)"
meta bolt_version "$(dpkg-query -W -f='${Version}' bolt-15 2>/dev/null)"
meta gnuplot_version "$(gnuplot --version 2>/dev/null)"
meta loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta duration_s "$(( $(date +%s) - T_START ))"

log "writing results to $BENCH_OUT"
mkdir -p "$BENCH_OUT"
bash "$ROOT/bench/report.sh" "$WORK" "$BENCH_OUT" || exit 1
if need_pkg gnuplot gnuplot-nox; then
	bash "$ROOT/bench/chart.sh" "$BENCH_OUT/latest.json" "$BENCH_OUT/latest.png" ||
		log "chart: gnuplot failed"
else
	log "chart: no PNG: $NEED_WHY"
	rm -f "$BENCH_OUT/latest.png"
fi
cat "$BENCH_OUT/latest.md"
log "done in $(( $(date +%s) - T_START )) s: $BENCH_OUT/latest.{json,md,png}"
