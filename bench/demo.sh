#!/bin/sh
# make demo: the generated 32 MB-text program, run plain and under hugexec,
# with what its own /proc/self/smaps says and how long it took.
set -u
cd "$(dirname "$0")/.." || exit 1
H=build/hugexec
prog=build/progs/bigtext-pie
calls=${DEMO_CALLS:-20000000}
line() { sed -n 's/.*selfcheck: .* \(text_kb=.*\) code_sum.*/\1/p' "$1"; }
kb() { sed -n "s/.*selfcheck: .* $2=\([0-9]*\).*/\1/p" "$1"; }
run() { # label, command...: runs it, prints pages and seconds
	label=$1; shift
	start=$(date +%s%N)
	SELFCHECK=1 "$@" --calls "$calls" >/tmp/hugexec-demo.out 2>/tmp/hugexec-demo.err || {
		cat /tmp/hugexec-demo.err; exit 1; }
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	text=$(kb /tmp/hugexec-demo.err text_kb); huge=$(kb /tmp/hugexec-demo.err huge_kb)
	small=$(( (text - huge) / 4 )); big=$(( huge / 2048 ))
	printf "%-16s %6d x 4 KB + %3d x 2 MB pages  %6d ms\n" "$label" "$small" "$big" "$ms"
	grep '^hugexec:' /tmp/hugexec-demo.err | sed 's/^/    /'
}
echo "bigtext: $(( $(stat -c %s $prog) >> 20 )) MB program, $calls calls to functions 4 KB apart, in random order"
echo "(iTLB entries its code needs, and wall time)"
build/progs/evict $prog || { echo "demo: cannot evict $prog from the page cache" >&2; exit 1; }
run "plain" $prog
run "hugexec" $H -v --no-perf-map $prog
run "plain again" $prog
run "hugexec again" $H -v --no-perf-map $prog
rm -f /tmp/hugexec-demo.out /tmp/hugexec-demo.err
