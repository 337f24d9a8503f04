# wl_node.sh - workload 3 of `make bench` (sourced by bench/run.sh): node
# running bench/node_work.js ($NODE_ITERS iterations of varied engine work).
# Configurations, alternated inside every round:
#   plain       node
#   largepages  node --use-largepages=on (node's own text remapper: the peer)
#   hugexec     hugexec -v node (default backing: auto)
# Every run starts with node's binary evicted from the page cache (a run
# that left 2 MB folios there would otherwise hand them to the next plain
# run). Per run: wall time, the script's own time of its work loop, and,
# read from /proc/PID/smaps of the running node $NODE_SMAPS_MS ms after
# the start, KB of node's executable text on 2 MB pages.
# Must never: count a run whose text did not go onto 2 MB pages as a run of
# its configuration (ok=0, with the reason), or compare runs whose
# checksums differ without saying so.

wl_node() {
	local node round cfg cfgs="plain largepages hugexec"
	node=$(command -v node || command -v nodejs) || {
		skip node all "node is not installed (Debian package nodejs)"
		return
	}
	node=$(readlink -f "$node")
	if ! "$node" --use-largepages=on -e 0 2>/dev/null; then
		skip node largepages "this node does not accept --use-largepages=on"
		cfgs="plain hugexec"
	fi
	log "node: $("$node" --version) ($node), $NODE_ITERS iterations, $NODE_ROUNDS rounds"
	for ((round = 1; round <= NODE_ROUNDS; round++)); do
		for cfg in $cfgs; do
			node_run "$node" "$cfg" "$round"
		done
		log "node: round $round/$NODE_ROUNDS done"
	done
}

node_run() {
	local node=$1 cfg=$2 round=$3 cmd=() res out=$WORK/node.out err=$WORK/node.err
	case $cfg in
	plain) cmd=("$node") ;;
	largepages) cmd=("$node" --use-largepages=on) ;;
	hugexec) cmd=("$HX" -v "$node") ;;
	esac
	"$EVICT" "$node"
	res=$("$BR" exec -o "$out" -e "$err" -s "$NODE_SMAPS_MS" -- "${cmd[@]}" \
		"$ROOT/bench/node_work.js" "$NODE_ITERS")
	[ "$cfg" = hugexec ] && perfmap_pid "$(kv pid "$res")"
	local st ms sum ok=1
	st=$(kv status "$res")
	ms=$(sed -n 's/^node_work: .* ms=\([0-9.]*\).*/\1/p' "$out")
	sum=$(sed -n 's/^node_work: .*checksum=\([0-9a-f]*\).*/\1/p' "$out")
	local why="" huge
	huge=$(kv exe_huge_kb "$res")
	[ "$st" != 0 ] || [ -z "$ms" ] && why="status $st"
	# a run that did not put node's text on 2 MB pages is not a run of its
	# configuration (hugexec fails open; node's remapper too)
	[ "$cfg" != plain ] && [ "${huge:-0}" -le 0 ] && why="${why:+$why, }no text on 2 MB pages"
	if [ -n "$why" ]; then
		ok=0
		log "node: $cfg not counted ($why): $(tail -n 3 "$err" | tr '\n' ' ')"
	fi
	[ -z "$(kv exe_huge_kb "$res")" ] && log "node: $cfg: smaps not read (run shorter than ${NODE_SMAPS_MS} ms?)"
	record workload=node "case=node_work.js x$NODE_ITERS" "config=$cfg" "round=$round" "ok=$ok" \
		"m_wall_s=$(ns_to_s "$(kv wall_ns "$res")")" \
		"m_script_s=$(awk -v m="${ms:-0}" 'BEGIN { printf "%.4f", m / 1e3 }')" \
		"huge_kb=$(kv exe_huge_kb "$res")" "text_kb=$(kv exe_text_kb "$res")" \
		"all_huge_kb=$(kv huge_kb "$res")" "all_text_kb=$(kv text_kb "$res")" \
		"maxrss_kb=$(kv maxrss_kb "$res")" "checksum=$sum" "status=$st" \
		"remap_ms=$(hx_ms "$err")" "hugexec=$(hx_line "$err")" "why=${why:+$why: }$(hx_why "$err")" \
		"node_stderr=$(grep -v '^hugexec' "$err" | head -n 2 | tr '\t\n' '  ')"
}
