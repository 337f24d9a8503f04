# wl_mariadb.sh - workload 4 of `make bench` (sourced by bench/run.sh): a
# real database under a real load generator. mariadbd (Debian's
# mariadb-server) runs on a socket in the bench's temp dir (no TCP), with
# its own data dir prepared once by sysbench ($DB_TABLES tables of
# $DB_TABLE_SIZE rows); sysbench runs each test of $DB_TESTS for
# $DB_SECONDS s with $DB_THREADS threads, after $DB_WARMUP s of warm-up.
# Configurations, alternated inside every round, each a fresh server start
# (binary evicted from the page cache first):
#   plain    mariadbd
#   hugexec  hugexec -v mariadbd (default backing: auto)
#   inproc   mariadbd with bench/inproc_remap.c preloaded: the same text
#            copied onto THP from inside (no ptrace, no stop), the
#            reference for what a launch by hugexec may leave behind
# Per test: TPS, QPS, p95 latency (ms); per server: KB of mariadbd's text
# on 2 MB pages, read from /proc/PID/smaps of the running server after the
# load, and whether the server kept hugexec's PID (its pid file).
# Then, per round, zero downtime (hugexec attach/undo): one plain server
# under oltp_point_select, in five phases of DB_SECONDS each: record
# (`hugexec record -p` takes the server's profile), before, attach (1 s
# into the load: huge pages, and that profile's hot functions in an
# island), attached, undo (1 s into the load); TPS and sysbench's errors
# per phase, the text on 2 MB pages after each, the functions moved, and
# how long attach held the threads. DB_CONFIGS (default "plain hugexec
# inproc") chooses the launch configurations; empty: the attach rounds only.
# Must never: leave a server running: every server is stopped by its PID,
# here or by lib.sh's cleanup on any exit.

DB_SOCK="" DB_DIR=""

wl_mariadb() {
	local mariadbd round cfg
	if ! need_deb mariadb-server; then
		skip mariadb all "$NEED_WHY"
		return
	fi
	if ! need_pkg sysbench sysbench; then
		skip mariadb all "$NEED_WHY"
		return
	fi
	mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
	[ -x "$mariadbd" ] || { skip mariadb all "mariadbd not found after installing mariadb-server"; return; }
	DB_DIR=$WORK/mariadb
	DB_SOCK=$DB_DIR/sock
	mkdir -p "$DB_DIR/data" "$DB_DIR/tmp"
	log "mariadb: $("$mariadbd" --version | sed 's/^.*Ver //'), preparing $DB_TABLES x $DB_TABLE_SIZE rows"
	if ! mariadb-install-db --no-defaults --datadir="$DB_DIR/data" $(db_user) \
		--auth-root-authentication-method=normal --skip-test-db > "$DB_DIR/install.log" 2>&1; then
		skip mariadb all "mariadb-install-db failed: $(tail -n 2 "$DB_DIR/install.log" | tr '\n' ' ')"
		return
	fi
	db_start "$mariadbd" plain || { skip mariadb all "mariadbd did not start: $DB_WHY"; return; }
	if ! mariadb --no-defaults --socket="$DB_SOCK" -uroot -e 'CREATE DATABASE sbtest' ||
		! db_sysbench oltp_read_only prepare > "$DB_DIR/prepare.log" 2>&1; then
		skip mariadb all "sysbench prepare failed: $(tail -n 2 "$DB_DIR/prepare.log" | tr '\n' ' ')"
		stop_pid "$DB_PID" 60
		return
	fi
	stop_pid "$DB_PID" 60
	log "mariadb: tests: $DB_TESTS, ${DB_SECONDS}s each, $DB_THREADS threads, $DB_ROUNDS rounds"
	for ((round = 1; round <= DB_ROUNDS; round++)); do
		for cfg in ${DB_CONFIGS-plain hugexec inproc}; do
			db_round "$mariadbd" "$cfg" "$round"
		done
		db_attach_round "$mariadbd" "$round"

		log "mariadb: round $round/$DB_ROUNDS done"
	done
}

db_user() { [ "$(id -u)" = 0 ] && echo --user=root; }

# db_sysbench TEST prepare|run [options]: sysbench against our server.
db_sysbench() {
	local test=$1; shift
	sysbench "$test" --db-driver=mysql --mysql-socket="$DB_SOCK" --mysql-user=root \
		--mysql-db=sbtest --tables="$DB_TABLES" --table-size="$DB_TABLE_SIZE" "$@"
}

# db_start MARIADBD CONFIG: start a server, wait until it answers; sets DB_PID.
db_start() {
	local mariadbd=$1 cfg=$2 pre=() i
	[ "$cfg" = hugexec ] && pre=("$HX" -v)
	[ "$cfg" = inproc ] && pre=(env LD_PRELOAD="$BB/libinproc.so")
	"$EVICT" "$mariadbd"
	rm -f "$DB_DIR/pid" "$DB_SOCK"
	"${pre[@]}" "$mariadbd" --no-defaults --datadir="$DB_DIR/data" --socket="$DB_SOCK" \
		--pid-file="$DB_DIR/pid" --skip-networking $(db_user) --tmpdir="$DB_DIR/tmp" \
		--log-error="$DB_DIR/err.log" --skip-log-bin --innodb-buffer-pool-size=256M \
		--innodb-buffer-pool-load-at-startup=0 --innodb-buffer-pool-dump-at-shutdown=0 \
		--max-connections=64 > "$DB_DIR/out.log" 2>&1 &
	DB_PID=$!
	track_pid "$DB_PID"
	[ "$cfg" = hugexec ] && perfmap_pid "$DB_PID"
	for ((i = 0; i < 600; i++)); do
		mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot ping > /dev/null 2>&1 && return 0
		kill -0 "$DB_PID" 2>/dev/null || break
		sleep 0.1
	done
	DB_WHY="$(tail -n 3 "$DB_DIR/err.log" "$DB_DIR/out.log" 2>/dev/null | tr '\n' ' ')"
	stop_pid "$DB_PID" 10
	return 1
}

# db_round MARIADBD CONFIG ROUND: one server, every test, one record per test.
db_round() {
	local mariadbd=$1 cfg=$2 round=$3 test out tps qps p95 err st0 st1 pidf itlb perf_pid
	if ! db_start "$mariadbd" "$cfg"; then
		log "mariadb: $cfg did not start: $DB_WHY"
		record workload=mariadb case=start "config=$cfg" "round=$round" ok=0 "why=$DB_WHY"
		return
	fi
	st0=$("$BR" smaps "$DB_PID")
	pidf=$(cat "$DB_DIR/pid" 2>/dev/null)
	db_sysbench oltp_point_select run --threads="$DB_THREADS" --time="$DB_WARMUP" > /dev/null 2>&1
	local results=()
	for test in $DB_TESTS; do
		out=$DB_DIR/sb.out
		perf_pid=""
		if [ "$PMU" = yes ]; then
			perf stat -x, -o "$DB_DIR/perf.txt" -e iTLB-load-misses -p "$DB_PID" &
			perf_pid=$!
		fi
		db_sysbench "$test" run --threads="$DB_THREADS" --time="$DB_SECONDS" --percentile=95 > "$out" 2>&1
		itlb=""
		if [ -n "$perf_pid" ]; then
			kill -INT "$perf_pid" 2>/dev/null
			wait "$perf_pid" 2>/dev/null
			itlb=$(awk -F, '/iTLB-load-misses/ { print $1 }' "$DB_DIR/perf.txt")
		fi
		tps=$(sed -n 's/^ *transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' "$out")
		qps=$(sed -n 's/^ *queries: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' "$out")
		p95=$(sed -n 's/^ *95th percentile: *\([0-9.]*\).*/\1/p' "$out")
		err=$(sed -n 's/^ *ignored errors: *\([0-9]*\).*/\1/p' "$out")
		results+=("$test	${tps:-}	${qps:-}	${p95:-}	${err:-}	${itlb:-}	$(grep -m1 -i 'fatal\|error' "$out" | tr '\t' ' ')")
	done
	st1=$("$BR" smaps "$DB_PID") # after the load: still on 2 MB pages?
	stop_pid "$DB_PID" 60
	local r
	for r in "${results[@]}"; do
		IFS=$'\t' read -r test tps qps p95 err itlb why <<< "$r"
		local ok=1
		[ -n "$tps" ] && [ -n "$p95" ] || { ok=0; log "mariadb: $cfg $test failed: $why"; }
		local hk
		hk=$(kv exe_huge_kb "$st1")
		if [ "$cfg" != plain ] && [ "${hk:-0}" -le 0 ]; then
			ok=0
			why="no text on 2 MB pages${why:+; $why}"
			log "mariadb: $cfg $test not counted: $why $(hx_why "$DB_DIR/out.log")"
		fi
		record workload=mariadb "case=$test" "config=$cfg" "round=$round" "ok=$ok" \
			"m_tps=${tps:-0}" "m_qps=${qps:-0}" "m_p95_ms=${p95:-0}" "errors=${err:-}" \
			${itlb:+"itlb_misses=$itlb"} \
			"huge_kb=$(kv exe_huge_kb "$st1")" "text_kb=$(kv exe_text_kb "$st1")" \
			"huge_kb_at_start=$(kv exe_huge_kb "$st0")" "all_huge_kb=$(kv huge_kb "$st1")" \
			"pid=$DB_PID" "pid_file=$pidf" "remap_ms=$(hx_ms "$DB_DIR/out.log")" \
			"hugexec=$(hx_line "$DB_DIR/out.log")" "why=$(hx_why "$DB_DIR/out.log")${why:+ $why}"
	done
}

# db_attach_round MARIADBD ROUND: the live attach and undo (see the top).
db_attach_round() {
	local mariadbd=$1 round=$2 phase out tps err p95 hk sb held ok moved prof=$DB_DIR/server.prof
	if ! db_start "$mariadbd" plain; then
		record workload=mariadb case=attach config=before "round=$round" ok=0 "why=$DB_WHY"
		return
	fi
	db_sysbench oltp_point_select run --threads="$DB_THREADS" --time="$DB_WARMUP" > /dev/null 2>&1
	: > "$DB_DIR/attach.log"
	# mariadbd turns THP off for itself (PR_SET_THP_DISABLE) as it starts:
	# a running one can only get hugetlb pages; reserve them (root) for
	# the attach, give them back after
	local pool=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages added=0 before
	if [ -w "$pool" ]; then
		before=$(cat "$pool")
		echo $((before + 16)) > "$pool" 2>/dev/null
		added=$(( $(cat "$pool") - before ))
	fi
	rm -f "$prof"
	for phase in record before attach attached undo; do
		out=$DB_DIR/sb.out
		db_sysbench oltp_point_select run --threads="$DB_THREADS" --time="$DB_SECONDS" \
			--percentile=95 > "$out" 2>&1 &
		sb=$!
		case $phase in
		record) "$HX" record -q -p "$DB_PID" -d $((DB_SECONDS - 1)) -o "$prof" >> "$DB_DIR/attach.log" 2>&1 ;;
		attach) sleep 1; "$HX" attach -v --profile="$prof" "$DB_PID" >> "$DB_DIR/attach.log" 2>&1 ;;
		undo) sleep 1; "$HX" undo "$DB_PID" >> "$DB_DIR/attach.log" 2>&1 ;;
		esac
		wait "$sb"
		tps=$(sed -n 's/^ *transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' "$out")
		p95=$(sed -n 's/^ *95th percentile: *\([0-9.]*\).*/\1/p' "$out")
		err=$(sed -n 's/^ *ignored errors: *\([0-9]*\).*/\1/p' "$out")
		hk=$(kv exe_huge_kb "$("$BR" smaps "$DB_PID")")
		held=$(sed -n 's/.*all [0-9]* threads held for \([0-9.]*\) ms.*/\1/p' "$DB_DIR/attach.log" | tail -n 1)
		moved=$(sed -n 's/.*layout: \([0-9]*\) functions (.*/\1/p' "$DB_DIR/attach.log" | tail -n 1)
		ok=1
		[ -n "$tps" ] && [ "${err:-0}" = 0 ] || ok=0
		[ "$phase" = attach ] || [ "$phase" = attached ] && [ "${hk:-0}" -le 0 ] && ok=0
		[ $ok = 1 ] || log "mariadb: attach round $round, $phase: tps=${tps:-none} errors=${err:-?} huge_kb=${hk:-0}: $(tr '\n' ' ' < "$DB_DIR/attach.log")"
		record workload=mariadb case=attach_point_select "config=$phase" "round=$round" "ok=$ok" \
			"m_tps=${tps:-0}" "m_p95_ms=${p95:-0}" "errors=${err:-}" "huge_kb=${hk:-0}" \
			"held_ms=${held:-}" "moved=${moved:-0}" "pid=$DB_PID" "why=$(tr '\n' ' ' < "$DB_DIR/attach.log" | tr '\t' ' ')"
	done
	stop_pid "$DB_PID" 60
	[ "$added" -gt 0 ] && echo $(( $(cat "$pool") - added )) > "$pool" 2>/dev/null
	return 0
}
