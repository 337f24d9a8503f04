# wl_layout.sh - workload of `make bench` (sourced by bench/run.sh): what a
# code layout gains where 2 MB pages alone do not. bench/gen_chains.c
# writes a C program of $LAY_CHAINS chains of 8 hot functions (direct
# calls, frames, unwind records), each hot function 64 KB of cold code away
# from the next (32 MB of text); its main calls the chain heads in a fixed
# pseudo-random order.
# Configurations, alternated inside every round:
#   plain            the binary as linked
#   hugexec          hugexec --backing=thp (text on 2 MB pages, no layout)
#   hugexec-profile  hugexec --backing=thp --profile=P: text on 2 MB pages
#                    and the hot island (P recorded by `hugexec record` on a
#                    run with another iteration count)
#   attach-profile   the plain binary, given the same by `hugexec attach
#                    --profile=P` $LAY_ATTACH_S s into its run (zero
#                    downtime: the first part runs as plain)
#   relinked         the same source linked by gold with the profile's
#                    symbol order (`hugexec profile export --symbol-order`):
#                    the hot functions together, the relinked ideal
#   bolt             llvm-bolt (Debian's bolt-15, the newest Debian 12 has)
#                    -reorder-functions=exec-count on a build linked with
#                    --emit-relocs, from `perf record -e cpu-clock` through
#                    perf2bolt -nl (no LBR here)
# Page cache: --backing=thp copies (nothing changes the cached folios); the
# binaries are evicted once and warmed by a plain run (small folios), and
# the plain run's KB on 2 MB pages is recorded every time, to prove it.
# Per run: wall time of the process (launch included), the loop's own time,
# KB of text on 2 MB pages, RSS and PSS (read while it runs), the checksum.
# Case "clang": clang++ -O2 -c on a generated C++ file of templates (STL
# containers, regex, streams), the profile recorded on another such file;
# configurations plain, hugexec, hugexec-profile, and layout-only
# (--profile with --min-size so large that no text is remapped: the island
# alone). libLLVM and libclang-cpp are stripped to .dynsym: their functions
# come from their FDEs. Metric: the compiler's wall time, launch included.
# Must never: count a hugexec-profile run without its island, or a run whose
# checksum (object file) differs from plain's.

# -fno-toplevel-reorder keeps gcc from emitting each chain's functions
# together (callees first): the source order, hot and cold interleaved,
# is the link order
LAY_CFLAGS="-O2 -g -ffunction-sections -fno-toplevel-reorder"

wl_layout() {
	local d=$BB/layout src bin rel="" bolt="" prof=$WORK/chains.prof
	local cfgs="plain hugexec hugexec-profile attach-profile"
	mkdir -p "$d"
	src=$d/chains.c bin=$d/chains
	cc -O2 -o "$d/gen_chains" "$ROOT/bench/gen_chains.c" || { skip layout all "cannot build gen_chains"; return; }
	"$d/gen_chains" --chains "$LAY_CHAINS" > "$src.new" || { skip layout all "gen_chains failed"; return; }
	if ! cmp -s "$src" "$src.new" || [ ! -x "$bin" ]; then
		mv "$src.new" "$src"
		log "layout: building the chains program (32 MB of text)"
		cc $LAY_CFLAGS -Wl,--emit-relocs -o "$bin" "$src" ||
			{ skip layout all "cannot build the chains program"; return; }
	fi
	rm -f "$src.new"
	log "layout: recording a profile (hugexec record, $LAY_REC_CALLS iterations)"
	[ "$(id -u)" = 0 ] && echo 1 > /proc/sys/vm/compact_memory 2>/dev/null
	"$HX" record -q -F 4999 -o "$prof" -- "$bin" "$LAY_REC_CALLS" > /dev/null 2> "$WORK/rec.err" ||
		{ skip layout hugexec-profile "hugexec record failed: $(tail -n 1 "$WORK/rec.err")"; prof=""; }
	log "layout: the relinked ideal (gold, the profile's order) and BOLT (perf2bolt takes a minute here)"
	if [ -n "$prof" ] && "$HX" profile export --symbol-order --object "$bin" -o "$d/order.txt" "$prof" 2> "$WORK/exp.err" &&
	   sed 's/^/.text./' "$d/order.txt" > "$d/sections.txt" &&
	   cc $LAY_CFLAGS -fuse-ld=gold -Wl,--section-ordering-file="$d/sections.txt" \
		-o "$d/chains-relinked" "$src" 2> "$WORK/gold.err"; then
		rel=$d/chains-relinked cfgs="$cfgs relinked"
	else
		skip layout relinked "no gold relink: $(cat "$WORK/exp.err" "$WORK/gold.err" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
	fi
	if ! need_deb bolt-15; then
		skip layout bolt "$NEED_WHY"
	# BOLT's input: the same code without debug information (perf2bolt
	# took 17 GB of memory on the -g build)
	elif cc ${LAY_CFLAGS/-g /} -Wl,--emit-relocs -o "$d/chains-nodebug" "$src" &&
	     perf record -q -e cpu-clock -F 4999 -o "$WORK/perf.data" -- "$d/chains-nodebug" "$LAY_REC_CALLS" > /dev/null 2> "$WORK/perf.err" &&
	     perf2bolt-15 -aggregate-only -nl -p "$WORK/perf.data" -o "$WORK/chains.fdata" "$d/chains-nodebug" > "$WORK/p2b.log" 2>&1 &&
	     llvm-bolt-15 "$d/chains-nodebug" -o "$d/chains.bolt" -data="$WORK/chains.fdata" -reorder-functions=exec-count \
		> "$WORK/bolt.log" 2>&1; then
		bolt=$d/chains.bolt cfgs="$cfgs bolt"
		note "bolt: Debian 12's bolt-15 (no LBR here: perf2bolt -nl, function order by sample counts; hfsort+ needs call edges, which only LBR gives BOLT)"
	else
		skip layout bolt "perf record, perf2bolt or llvm-bolt failed: $(cat "$WORK/perf.err" "$WORK/p2b.log" "$WORK/bolt.log" 2>/dev/null | grep -i 'error' | head -n 2 | tr '\n' ' ')"
	fi
	local f
	for f in "$bin" $rel $bolt; do
		"$EVICT" "$f"
		"$f" 1000 > /dev/null 2>&1
	done
	[ "$(id -u)" = 0 ] && echo 1 > /proc/sys/vm/compact_memory 2>/dev/null
	log "layout: configurations: $cfgs; $LAY_ROUNDS rounds of $LAY_CALLS chain calls"
	local round cfg
	for ((round = 1; round <= LAY_ROUNDS; round++)); do
		for cfg in $cfgs; do
			lay_run "$cfg" "$round" "$bin" "$rel" "$bolt" "$prof"
		done
		log "layout: round $round/$LAY_ROUNDS done"
	done
	lay_clang
}

# gen_cxx TAG N: a C++ file of N template families (tag changes names and
# constants, so two tags are two inputs of one kind)
gen_cxx() {
	local tag=$1 n=$2 i k
	printf '#include <map>\n#include <vector>\n#include <string>\n#include <algorithm>\n'
	printf '#include <functional>\n#include <unordered_map>\n#include <sstream>\n#include <regex>\n'
	for ((i = 0; i < n; i++)); do
		k=$(( (i * 37 + ${#tag} * 11) % 97 ))
		cat <<EOF
template <typename T> struct Box$tag$i { T val; std::vector<T> hist; std::map<std::string, T> idx;
  template <typename F> auto apply(F f) { std::vector<decltype(f(val))> r; for (auto &h : hist) r.push_back(f(h)); return r; }
  void add(T x) { hist.push_back(x); idx[std::to_string(hist.size() + $k)] = x; std::sort(hist.begin(), hist.end()); }
};
int use$tag$i(int n) { Box$tag$i<long> b; Box$tag$i<double> d; Box$tag$i<std::string> s;
  for (int j = 0; j < n; j++) { b.add(j * $k); d.add(j / $((k + 1)).0); s.add(std::to_string(j)); }
  auto r = b.apply([](long x) { return x * 2 + $k; }); auto q = d.apply([](double x) { return std::to_string(x); });
  std::unordered_map<std::string, std::function<int(int)>> fns; fns["a$i"] = [](int x) { return x + $k; };
  std::ostringstream os; os << r.size() << q.size() << s.hist.size(); std::regex re("[0-9]+$i");
  return (int)r.size() + fns["a$i"](n) + (int)os.str().size() + (int)std::regex_match(os.str(), re); }
EOF
	done
}

# The clang case (see the header).
lay_clang() {
	local cxx d=$BB/layout/clang prof round cfg
	cxx=$(command -v clang++) || { skip layout clang "no clang++"; return; }
	mkdir -p "$d"
	gen_cxx rec "$LAY_CXX_N" > "$d/rec.cc"
	gen_cxx timed "$LAY_CXX_N" > "$d/timed.cc"
	prof=$WORK/clang.prof
	log "layout: clang: recording a profile (clang++ -O2 -c on one input)"
	if ! "$HX" record -q -o "$prof" -- "$cxx" -O2 -c "$d/rec.cc" -o "$d/rec.o" > /dev/null 2> "$WORK/crec.err"; then
		skip layout clang "hugexec record failed: $(tail -n 1 "$WORK/crec.err")"
		return
	fi
	# the page cache as a plain run leaves it: the compiler and its libraries
	# evicted (an earlier hugexec with the file backing leaves 2 MB folios
	# that plain runs would map too), then read by one plain run. No
	# configuration here changes it (--backing=thp copies; layout-only
	# remaps no text). Memory compacted, so that THP copies find 2 MB pages.
	local f real
	real=$(readlink -f "$cxx")
	for f in "$real" $(ldd "$real" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'); do
		"$EVICT" "$(readlink -f "$f")" 2>/dev/null
	done
	[ "$(id -u)" = 0 ] && echo 1 > /proc/sys/vm/compact_memory 2>/dev/null
	"$cxx" -O2 -c "$d/timed.cc" -o "$d/plain.o"
	log "layout: clang: $LAY_CLANG_ROUNDS rounds of plain, hugexec, hugexec-profile, layout-only on another input"
	for ((round = 1; round <= LAY_CLANG_ROUNDS; round++)); do
		for cfg in plain hugexec hugexec-profile layout-only; do
			lay_clang_run "$cfg" "$round" "$cxx" "$d" "$prof"
		done
		log "layout: clang round $round/$LAY_CLANG_ROUNDS done"
	done
}

lay_clang_run() {
	local cfg=$1 round=$2 cxx=$3 d=$4 prof=$5 cmd=() res ok=1 why=""
	local err=$WORK/clang.err
	case $cfg in
	plain) cmd=("$cxx") ;;
	hugexec) cmd=("$HX" -v --backing=thp "$cxx") ;;
	hugexec-profile) cmd=("$HX" -v --backing=thp --profile="$prof" "$cxx") ;;
	layout-only) cmd=("$HX" -v --profile="$prof" --min-size=1000000M "$cxx") ;;
	esac
	res=$("$BR" exec -s "$LAY_CLANG_SMAPS_MS" -e "$err" -- "${cmd[@]}" -O2 -c "$d/timed.cc" -o "$d/$cfg.o")
	cmp -s "$d/plain.o" "$d/$cfg.o" || { ok=0; why="object file differs from plain's"; }
	if [ "$cfg" != plain ] && [ "$cfg" != hugexec ] && ! grep -q 'layout: [0-9]* functions' "$err"; then
		ok=0; why="no island: $(hx_why "$err")"
	fi
	[ -n "$why" ] && log "layout: clang $cfg: $why"
	local island; island=$(sed -n 's/.*layout: \([0-9]*\) functions (\([^)]*\)) in \([0-9]*\) island.*/\1 functions (\2)/p' "$err" | head -n 1)
	record workload=layout case=clang "config=$cfg" "round=$round" "ok=$ok" \
		"m_wall_s=$(ns_to_s "$(kv wall_ns "$res")")" \
		"m_rss_kb=$(kv rss_kb "$res")" "m_pss_kb=$(kv pss_kb "$res")" \
		"huge_kb=$(kv huge_kb "$res")" "text_kb=$(kv text_kb "$res")" \
		"island=${island:-}" "hugexec=$(grep -m1 '^hugexec: .*\(text on 2 MB pages\|layout: \)' "$err" | tr '\t' ' ')"
}

# lay_run CONFIG ROUND BIN RELINKED BOLT PROFILE: one run, one record.
lay_run() {
	local cfg=$1 round=$2 bin=$3 rel=$4 bolt=$5 prof=$6 cmd=() res ok=1 why=""
	local out=$WORK/lay.out err=$WORK/lay.err
	case $cfg in
	plain) cmd=("$bin") ;;
	hugexec) cmd=("$HX" -v --backing=thp "$bin") ;;
	hugexec-profile) cmd=("$HX" -v --backing=thp --profile="$prof" "$bin") ;;
	attach-profile) # (the chains' own output on stdout, attach's on stderr)
		cmd=(bash -c '"$1" "$5" & p=$!; sleep "$2"; "$3" attach -v --backing=thp --profile="$4" $p >&2
			      wait $p' attach "$bin" "$LAY_ATTACH_S" "$HX" "$prof") ;;
	relinked) cmd=("$rel") ;;
	bolt) cmd=("$bolt") ;;
	esac
	res=$("$BR" exec -s "$LAY_SMAPS_MS" -o "$out" -e "$err" -- "${cmd[@]}" "$LAY_CALLS")
	local line; line=$(sed -n 's/^chains: //p' "$out")
	[ -n "$line" ] || { ok=0; why="no result: $(head -c 200 "$err")"; }
	local huge; huge=$(kv huge_kb "$res")
	case $cfg in
	hugexec | hugexec-profile)
		[ "${huge:-0}" -gt 0 ] || { ok=0; why="text not on 2 MB pages: $(hx_why "$err")"; } ;;
	esac
	if [ "${cfg%-profile}" != "$cfg" ] && ! grep -q 'layout: [0-9]* functions' "$err"; then
		ok=0; why="no island: $(hx_why "$err")"
	fi
	[ -n "$why" ] && log "layout: $cfg: $why"
	local island; island=$(sed -n 's/.*layout: \([0-9]*\) functions (\([^)]*\)) in \([0-9]*\) island.*/\1 functions (\2)/p' "$err" | head -n 1)
	local share; share=$(sed -n 's/.*layout: .*, \([0-9.]*\)% of the profile.s samples.*/\1/p' "$err" | head -n 1)
	# (attach-profile: the memory read is the wrapping shell's, not kept)
	local mem=("m_rss_kb=$(kv rss_kb "$res")" "m_pss_kb=$(kv pss_kb "$res")")
	[ "$cfg" = attach-profile ] && mem=("rss_kb=" "pss_kb=")
	record workload=layout case=chains "config=$cfg" "round=$round" "ok=$ok" \
		"m_wall_s=$(ns_to_s "$(kv wall_ns "$res")")" "m_loop_s=$(kv loop_s "$line")" \
		"${mem[@]}" \
		"huge_kb=${huge:-}" "text_kb=$(kv text_kb "$res")" "checksum=$(kv sum "$line")" \
		"island=${island:-}" "profile_share=${share:-}" "hugexec=$(hx_line "$err")"
}
