# wl_bigtext.sh - workload 1 of `make bench` (sourced by bench/run.sh):
# the generated iTLB-bound program, build/bench/bt$BT_TEXT_MB (that many MB
# of code, one small function per 4 KB page, called in a fixed pseudo-random
# order), with the hot-code size swept over $BT_HOT_MB.
# Configurations, alternated inside every round and every hot size:
#   plain            the binary as the kernel maps it (page cache evicted first)
#   hugexec-thp      hugexec --backing=thp
#   hugexec-hugetlb  hugexec --backing=hugetlb (needs the reserved pool)
#   libhugetlbfs     the same objects relinked for libhugetlbfs, run by
#                    `hugectl --text` (Debian's libhugetlbfs-bin)
#   ideal            the same binary with --self-remap: it copies its own
#                    text onto THP at startup, the upper bound of a launcher
# Page cache: a freshly linked binary sits in large folios that the kernel
# maps with PMDs, which would put even the plain run on 2 MB pages. So the
# binaries are evicted once, then warmed by one plain run that touches every
# function (the fault path caches them in small folios), and every run
# after that starts warm: no configuration here changes the cached folios
# (thp, hugetlb, libhugetlbfs and the ideal all copy). The plain run's KB
# on 2 MB pages is recorded every time, to prove it. The cold-cache cost of
# a remap is measured by the remap workload instead.
# Per run: wall time, the calls' throughput (bench/bigtext_timed.c times
# bigtext's main), KB of text on 2 MB pages (SELFCHECK=1's huge_kb), the
# checksum (identical in every configuration) and hugexec's remap time.
# Must never: count a run whose text did not go onto 2 MB pages as a run of
# its configuration (it is recorded with ok=0 and the reason), or compare
# runs whose checksums differ without saying so.

# bt_calls HOT_MB: calls for about $BT_SECONDS of plain run time (the rates
# are plain-run calls per second measured on the 2-core Zen 4 VM).
bt_calls() {
	awk -v h="$1" -v s="$BT_SECONDS" 'BEGIN {
		r = h <= 1 ? 30e6 : h <= 8 ? 15e6 : h <= 32 ? 10e6 : h <= 64 ? 4.5e6 : 3.5e6
		printf "%d", r * s }'
}

wl_bigtext() {
	log "bigtext: building ${BT_TEXT_MB} MB-text program"
	local bt bth="" mnt="" cfgs="plain hugexec-thp" pages need free
	bt=$(build_bigtext "$BT_TEXT_MB") || { skip bigtext all "cannot build bt$BT_TEXT_MB"; return; }

	# hugetlb pool: text MB / 2 pages, plus libhugetlbfs's other segments
	need=$(( BT_TEXT_MB / 2 + 8 ))
	BT_POOL_NEED=$need
	if [ "$(id -u)" != 0 ]; then
		skip bigtext hugexec-hugetlb "not root: cannot reserve the hugetlb pool"
	else
		pool_reserve "$need"
		free=$POOL_FREE
		if [ "${free:-0}" -ge "$need" ]; then
			cfgs="$cfgs hugexec-hugetlb"
			log "bigtext: hugetlb pool reserved: $(cat "$POOL") pages, $free free"
		else
			skip bigtext hugexec-hugetlb "hugetlb pool: only ${free:-0} of $need pages could be reserved"
		fi
	fi

	# libhugetlbfs: package, relink, a hugetlbfs mount of our own, the pool
	if [ "$(id -u)" != 0 ]; then
		skip bigtext libhugetlbfs "not root: needs a hugetlbfs mount and the pool"
	elif ! need_deb libhugetlbfs-bin libhugetlbfs-dev; then
		skip bigtext libhugetlbfs "$NEED_WHY"
	elif ! command -v hugectl >/dev/null || ! command -v ld.hugetlbfs >/dev/null; then
		skip bigtext libhugetlbfs "hugectl or ld.hugetlbfs missing after installing libhugetlbfs-bin"
	elif ! bth=$(build_bigtext "$BT_TEXT_MB" hlfs); then
		skip bigtext libhugetlbfs "relink with ld.hugetlbfs failed: $(tail -n 2 "$BB/build-bt$BT_TEXT_MB-hlfs.log" | tr '\n' ' ')"
		bth=""
	elif [ "${free:-0}" -lt "$need" ]; then
		skip bigtext libhugetlbfs "hugetlb pool: only ${free:-0} of $need pages"
	else
		mnt=$WORK/hugetlbfs
		mkdir -p "$mnt"
		if mount -t hugetlbfs -o pagesize=2M none "$mnt" 2>"$WORK/mount.err"; then
			MOUNTS="$MOUNTS $mnt"
			# does it work here? one short run must put its text on huge pages
			HUGETLB_PATH=$mnt SELFCHECK=1 hugectl --text "$bth" --calls 1000 \
				> /dev/null 2> "$WORK/hlfs.err"
			pages=$(sed -n 's/^bigtext-pages: .*huge_kb=\([0-9]*\).*/\1/p' "$WORK/hlfs.err")
			if [ "${pages:-0}" -gt 0 ]; then
				cfgs="$cfgs libhugetlbfs"
				note "libhugetlbfs maps its hugetlbfs copy of the text lazily: smaps counts only the 2 MB pages a run touched (about the hot size), all of its text is on hugetlbfs all the same"
				note "libhugetlbfs: the relinked program is non-PIE with 4 MB segment alignment (ld.hugetlbfs --hugetlbfs-align), like the others non-PIE; it copies its text in its constructor (included in its wall time)"
			else
				skip bigtext libhugetlbfs "hugectl --text ran but put no text on huge pages: $(grep -v '^bigtext' "$WORK/hlfs.err" | tail -n 2 | tr '\n' ' ')"
			fi
		else
			skip bigtext libhugetlbfs "cannot mount hugetlbfs: $(cat "$WORK/mount.err")"
		fi
	fi
	cfgs="$cfgs ideal"

	# warm, in small folios (see the header)
	local f
	for f in "$bt" $bth; do
		"$EVICT" "$f"
		"$f" --calls $(( BT_TEXT_MB * 256 )) > /dev/null 2>&1
	done
	local warm
	warm=$(SELFCHECK=1 "$bt" --calls 1 2>&1 >/dev/null | sed -n 's/^selfcheck: .* huge_kb=\([0-9]*\).*/\1/p')
	log "bigtext: page cache warmed; a plain run has ${warm:-?} KB of text on 2 MB pages"

	local perf=() round hot cfg calls
	if [ "$PMU" = yes ]; then
		perf=(perf stat -x, -o "$WORK/perf.txt" -e iTLB-load-misses,iTLB-loads --)
		log "bigtext: PMU found: recording iTLB misses with perf stat"
	else
		note "no hardware PMU (perf stat -e iTLB-load-misses: not supported): iTLB misses not recorded; page sizes are proven from smaps"
	fi

	log "bigtext: configurations: $cfgs; hot MB: $BT_HOT_MB; $BT_ROUNDS rounds"
	for ((round = 1; round <= BT_ROUNDS; round++)); do
		for hot in $BT_HOT_MB; do
			calls=$(bt_calls "$hot")
			for cfg in $cfgs; do
				bt_run "$bt" "$bth" "$mnt" "$cfg" "$hot" "$calls" "$round"
			done
		done
		log "bigtext: round $round/$BT_ROUNDS done"
	done
	if [ -n "$mnt" ] && grep -q " $mnt hugetlbfs " /proc/mounts; then
		umount "$mnt" && MOUNTS=$(printf '%s\n' $MOUNTS | grep -vx "$mnt" | tr '\n' ' ')
	fi
	# run.sh gives the pool back
}

# bt_run BT BT_HLFS MOUNT CONFIG HOT CALLS ROUND: one run, one record.
bt_run() {
	local bt=$1 bth=$2 mnt=$3 cfg=$4 hot=$5 calls=$6 round=$7 cmd=() res
	local out=$WORK/bt.out err=$WORK/bt.err
	# another user of the pool (a test suite) may have taken pages since:
	# top the pool up again before each run that needs it
	case $cfg in hugexec-hugetlb | libhugetlbfs) pool_reserve "$BT_POOL_NEED" ;; esac
	case $cfg in
	plain) cmd=("$bt") ;;
	hugexec-thp) cmd=("$HX" -v --backing=thp "$bt") ;;
	hugexec-hugetlb) cmd=("$HX" -v --backing=hugetlb "$bt") ;;
	libhugetlbfs) cmd=(env HUGETLB_PATH="$mnt" hugectl --text "$bth") ;;
	ideal) cmd=("$bt" --self-remap) ;;
	esac
	rm -f "$WORK/perf.txt"
	res=$(SELFCHECK=1 "$BR" exec -o "$out" -e "$err" -- "${perf[@]}" "${cmd[@]}" \
		--calls "$calls" --hot-mb "$hot")
	local st ns loop huge text sum itlb="" ms mb
	st=$(kv status "$res")
	ns=$(kv wall_ns "$res")
	loop=$(sed -n 's/^bigtext-time: main_ns=\([0-9]*\).*/\1/p' "$err")
	huge=$(selfcheck_kb "$err" huge_kb)
	text=$(selfcheck_kb "$err" text_kb)
	if [ -z "$huge" ]; then # the libhugetlbfs build reports bigtext-pages instead
		huge=$(sed -n 's/^bigtext-pages: .*huge_kb=\([0-9]*\).*/\1/p' "$err")
		text=$(sed -n 's/^bigtext-pages: text_kb=\([0-9]*\).*/\1/p' "$err")
	fi
	sum=$(sed -n 's/.*checksum=\([0-9a-f]*\).*/\1/p' "$out")
	[ -f "$WORK/perf.txt" ] && itlb=$(awk -F, '/iTLB-load-misses/ { print $1 }' "$WORK/perf.txt")
	ms=$(hx_ms "$err")
	mb=$(hx_mb "$err")
	case $cfg in hugexec-*) perfmap_pid "$(kv pid "$res")" ;; esac
	local ok=1 why=""
	[ "$st" = 0 ] && [ -n "$loop" ] || why="status $st"
	# a run that did not put its text on 2 MB pages is not a run of its
	# configuration (hugexec fails open: it runs the program unmodified)
	case $cfg in
	hugexec-*) [ -n "$ms" ] && [ "${huge:-0}" -gt 0 ] || why="${why:+$why, }not remapped" ;;
	libhugetlbfs | ideal) [ "${huge:-0}" -gt 0 ] || why="${why:+$why, }no text on 2 MB pages" ;;
	esac
	if [ -n "$why" ]; then
		ok=0
		log "bigtext: $cfg hot=${hot}MB not counted ($why): $(grep -v '^bigtext' "$err" | tail -n 2 | tr '\n' ' ')"
	fi
	[ "$cfg" = plain ] && [ "${huge:-0}" -gt 0 ] &&
		note "bigtext: a plain run had $huge KB of text on 2 MB pages (page cache folios)"
	record workload=bigtext "case=hot ${hot} MB" "config=$cfg" "round=$round" "ok=$ok" cache=warm \
		"m_mcalls_s=$(awk -v c="$calls" -v n="$loop" 'BEGIN { printf "%.3f", (n > 0 ? c / (n / 1e3) : 0) }')" \
		"m_wall_s=$(ns_to_s "$ns")" "loop_s=$(ns_to_s "${loop:-0}")" "calls=$calls" "hot_mb=$hot" \
		"huge_kb=${huge:-}" "text_kb=${text:-}" "checksum=$sum" "status=$st" \
		${itlb:+"itlb_misses=$itlb"} ${ms:+"remap_ms=$ms"} ${mb:+"remap_mb=$mb"} \
		"hugexec=$(hx_line "$err")" "why=${why:+$why: }$(hx_why "$err")"
}
