# wl_pingpong.sh - workload of `make bench` (sourced by bench/run.sh): does
# a program keep anything of its launch that slows it down? The main thread
# and a second one pass a byte through two pipes (bench/pingpong.c), pinned
# to one CPU, so that every round trip is two context switches of the main
# thread: a per-thread residue (docs/residue.md: a debug-register breakpoint
# left registered cost 8% here) shows at once.
#   main, nothing to remap:  pingpong vs hugexec --follow-exec=0 pingpong
#                            (stopped at the entry point, let go)
#   main, text remapped:     pingpong-big (8 MB of generated text) vs
#                            hugexec pingpong-big (its text copied to 2 MB
#                            pages by injected system calls)
#   off-main (control):      the same as the first, the ping-pong between
#                            two threads that are not the main one
# Configurations alternate inside each round; metric: ns per round trip,
# the mean over the run (rt_ns) and the fastest chunk of 2000 (best_ns).
# Must never: count a remapped run whose text is not on 2 MB pages.

wl_pingpong() {
	local pp=$BB/pingpong ppb=$BB/pingpong-big s=$BB/pp8.S round cpu=0
	if [ ! -x "$pp" ] || [ "$ROOT/bench/pingpong.c" -nt "$pp" ]; then
		cc -O2 -g -o "$pp" "$ROOT/bench/pingpong.c" -lpthread || { skip pingpong all "cannot build pingpong"; return; }
	fi
	[ -f "$s" ] || "$ROOT/build/gen_bigtext" --text-mb 8 > "$s"
	if [ ! -x "$ppb" ] || [ "$ROOT/bench/pingpong.c" -nt "$ppb" ]; then
		cc -O2 -g -o "$ppb" "$ROOT/bench/pingpong.c" "$s" -lpthread || { skip pingpong big "cannot build pingpong-big"; return; }
	fi
	command -v taskset >/dev/null || { skip pingpong all "no taskset"; return; }
	log "pingpong: $PP_ROUNDS rounds of $PP_TRIPS round trips, pinned to CPU $cpu"
	for ((round = 1; round <= PP_ROUNDS; round++)); do
		pp_run "main, nothing to remap" plain "$round" "$pp" "$PP_TRIPS"
		pp_run "main, nothing to remap" hugexec "$round" "$HX" --follow-exec=0 "$pp" "$PP_TRIPS"
		pp_run "main, text remapped" plain "$round" "$ppb" "$PP_TRIPS"
		pp_run "main, text remapped" hugexec "$round" "$HX" -v "$ppb" "$PP_TRIPS"
		pp_run "off-main (control)" plain "$round" "$pp" "$PP_TRIPS" --off-main
		pp_run "off-main (control)" hugexec "$round" "$HX" --follow-exec=0 "$pp" "$PP_TRIPS" --off-main
	done
}

# pp_run CASE CONFIG ROUND CMD...
pp_run() {
	local cs=$1 cfg=$2 round=$3 out=$WORK/pp.out err=$WORK/pp.err ok=1; shift 3
	taskset -c 0 "$@" >"$out" 2>"$err"
	local line; line=$(sed -n 's/^pingpong: //p' "$out")
	[ -n "$line" ] || { ok=0; log "pingpong: $cs/$cfg: no result: $(head -c 200 "$err")"; }
	local huge; huge=$(kv huge_kb "$line")
	if [ "$cs" = "main, text remapped" ] && [ "$cfg" = hugexec ] && [ "${huge:-0}" = 0 ]; then
		ok=0; log "pingpong: $cs/$cfg: text not on 2 MB pages: $(hx_why "$err")"
	fi
	record workload=pingpong "case=$cs" "config=$cfg" "round=$round" "ok=$ok" \
		"m_rt_ns=$(kv rt_ns "$line")" "m_best_ns=$(kv best_ns "$line")" \
		"huge_kb=${huge:-}" "hugexec=$(hx_line "$err")"
}
