# wl_overhead.sh - workload 2 of `make bench` (sourced by bench/run.sh):
# what hugexec costs.
#   launch: `hugexec /bin/true` against `/bin/true` (nothing to remap: the
#           cost of the launch, ptrace, entry stop, planning), alternated
#           one by one, $LAUNCH_N pairs per round, every launch a sample;
#           with them, where the launcher is built with musl, the same
#           launcher built with glibc (`make MUSL_CC=`: what musl saves).
#   remap:  the time the target is held at its entry point (hugexec -v)
#           for build/bench/bt$MB with MB in $REMAP_MB, as MB/s, with
#           --backing=thp on a cold page cache (evicted first: the copy
#           then waits for the disk) and on a warm one, hugetlb (warm; needs
#           the pool), and thp-warm with --no-perf-map (where hugexec has
#           it: the perf map is written after the program was let go, so
#           this row checks that it costs the hold nothing); against a memcpy of the
#           same size measured in the same round (benchrun memcpy: into a pre-faulted buffer, and into
#           a fresh MADV_HUGEPAGE mapping, faults included).
# Must never: count a run in which hugexec did not remap (it is recorded,
# with its reason, as not ok).

wl_launch() {
	local round res a b c gl=$BB/glibc/hugexec
	local -a also=()
	if file "$HX" | grep -q 'statically linked'; then
		log "launch: building the launcher with glibc for comparison"
		if make -s -C "$ROOT" B="$BB/glibc" MUSL_CC= "$BB/glibc/hugexec" "$BB/glibc/hugexec-core" \
			>/dev/null 2>&1; then
			also=(--- "$gl" /bin/true)
		else
			skip launch hugexec-glibc "the glibc build of the launcher failed"
		fi
	else
		skip launch hugexec-glibc "the launcher is not built with musl here (no musl-gcc)"
	fi
	log "launch: /bin/true vs hugexec /bin/true, $LAUNCH_ROUNDS rounds of $LAUNCH_N pairs"
	"$BR" alt 20 -- /bin/true --- "$HX" /bin/true "${also[@]}" > /dev/null # warm them
	for ((round = 1; round <= LAUNCH_ROUNDS; round++)); do
		res=$("$BR" alt "$LAUNCH_N" -- /bin/true --- "$HX" /bin/true "${also[@]}")
		a=$(printf '%s\n' "$res" | sed -n 's/^alt 0: //p')
		b=$(printf '%s\n' "$res" | sed -n 's/^alt 1: //p')
		c=$(printf '%s\n' "$res" | sed -n 's/^alt 2: //p')
		launch_record plain "$round" $a
		launch_record hugexec "$round" $b
		[ -n "$c" ] && launch_record hugexec-glibc "$round" $c
	done
}

launch_record() {
	local cfg=$1 round=$2 ns; shift 2
	for ns in "$@"; do
		record workload=launch "case=/bin/true" "config=$cfg" "round=$round" ok=1 \
			"m_launch_ms=$(awk -v n="$ns" 'BEGIN { printf "%.4f", n / 1e6 }')"
	done
}

wl_remap() {
	# thp-cold first: its populate leaves the file cached for the warm ones
	local mb bins="" need=0 cfgs="thp-cold thp-warm" free round bt cfg
	for mb in $REMAP_MB; do
		log "remap: building ${mb} MB-text program"
		bt=$(build_bigtext "$mb") || { skip remap "$mb MB" "cannot build bt$mb"; continue; }
		bins="$bins $mb"
		[ $((mb / 2 + 2)) -gt $need ] && need=$((mb / 2 + 2))
	done
	if [ "$(id -u)" != 0 ]; then
		skip remap hugetlb-warm "not root: cannot reserve the hugetlb pool"
	else
		pool_reserve "$need"
		free=$POOL_FREE
		REMAP_POOL_NEED=$need
		if [ "${free:-0}" -ge "$need" ]; then
			cfgs="$cfgs hugetlb-warm"
		else
			skip remap hugetlb-warm "hugetlb pool: only ${free:-0} of $need pages could be reserved"
		fi
	fi
	if "$HX" --no-perf-map /bin/true 2>/dev/null; then
		cfgs="$cfgs thp-warm-noperfmap"
	else
		skip remap thp-warm-noperfmap "this hugexec has no --no-perf-map option"
	fi
	log "remap: sizes:$bins MB; configurations: $cfgs memcpy; $REMAP_ROUNDS rounds"
	for ((round = 1; round <= REMAP_ROUNDS; round++)); do
		for mb in $bins; do
			for cfg in $cfgs; do
				remap_run "$BB/bt$mb" "$mb" "$cfg" "$round"
			done
			memcpy_run "$mb" "$round"
		done
		log "remap: round $round/$REMAP_ROUNDS done"
	done
}

# remap_run BT MB CONFIG ROUND
remap_run() {
	local bt=$1 mb=$2 cfg=$3 round=$4 backing=${3%%-*} res err=$WORK/remap.err opt=()
	[ "$cfg" = thp-warm-noperfmap ] && opt=(--no-perf-map)
	# another user of the pool may have taken pages since: top it up
	[ "$backing" = hugetlb ] && pool_reserve "$REMAP_POOL_NEED"
	# warm: as the run before (of the same file, in this round) left it,
	# every page cached (a cat here made the next remap slower at times)
	case $cfg in *-cold) "$EVICT" "$bt" ;; esac
	res=$(SELFCHECK=1 "$BR" exec -o /dev/null -e "$err" -- "$HX" -v "${opt[@]}" --backing="$backing" "$bt" --calls 0)
	perfmap_pid "$(kv pid "$res")"
	local ms rmb huge ok=1
	ms=$(hx_ms "$err")
	rmb=$(hx_mb "$err")
	huge=$(selfcheck_kb "$err" huge_kb)
	if [ -z "$ms" ] || [ "${rmb:-0}" = 0 ] || [ "$(kv status "$res")" != 0 ]; then
		ok=0
		log "remap: $cfg ${mb} MB: no remap: $(hx_why "$err")"
	fi
	record workload=remap "case=${mb} MB" "config=$cfg" "round=$round" "ok=$ok" \
		"m_remap_mbps=$(awk -v m="${rmb:-0}" -v t="${ms:-0}" 'BEGIN { printf "%.1f", (t > 0 ? m / (t / 1e3) : 0) }')" \
		"remap_ms=${ms:-0}" "remap_mb=${rmb:-0}" "huge_kb=${huge:-}" \
		"text_kb=$(selfcheck_kb "$err" text_kb)" "wall_s=$(ns_to_s "$(kv wall_ns "$res")")" \
		"hugexec=$(hx_line "$err")" "why=$(hx_why "$err")"
}

# memcpy_run MB ROUND: the reference copy, same size, same round.
memcpy_run() {
	local mb=$1 round=$2 res
	res=$("$BR" memcpy "$mb" 3) || return
	record workload=remap "case=${mb} MB" config=memcpy "round=$round" ok=1 \
		"m_remap_mbps=$(kv memcpy_mbps "$res")"
	record workload=remap "case=${mb} MB" config=memcpy-fresh "round=$round" ok=1 \
		"m_remap_mbps=$(kv fresh_mbps "$res")"
}
