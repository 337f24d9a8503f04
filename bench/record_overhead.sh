#!/bin/sh
# record_overhead.sh - what `hugexec record` costs the program it records,
# at the default sampling rate (999 Hz of CPU time per thread).
#
#   bench/record_overhead.sh [ROUNDS]      (default 7; CALLS=40000000, HOT_MB=2)
#   FREQ=20000 bench/record_overhead.sh    (record at another rate)
#
# The big-text program runs ROUNDS times in each configuration, the
# configurations alternated inside every round (A B C D A B C D ...):
#   A  hugexec bigtext                         the production run
#   B  hugexec record -o F -- bigtext          the same, recorded
#   C  hugexec time bigtext                    bigtext's own elapsed time
#   D  hugexec record -o F -- time bigtext     ... recorded
# B/A is what a user sees end to end (it includes the recorder's start and
# the symbolization after the program ends); D/C is the slowdown of the
# program itself while it is sampled (/usr/bin/time measures from its own
# fork of bigtext to its exit; bigtext runs on 4 KB pages there, in both).
# For C and D the program's CPU time (user + sys, from /usr/bin/time, 10 ms
# resolution) is kept too: it moves less than wall time when other work
# shares the machine. Prints the machine, every sample, the medians and the
# ratios of medians. On a busy machine a 1-3% effect drowns in the spread;
# a run at a high FREQ (the cost is per sample) shows it, and dividing the
# extra CPU time by the extra samples gives the cost of one sample.
# Nothing is asserted: another load on the machine shows up as spread.
set -u
cd "$(dirname "$0")/.." || exit 1
H=$PWD/build/hugexec
BIG=$PWD/build/progs/bigtext-pie
ROUNDS=${1:-7}
CALLS=${CALLS:-40000000}
HOT_MB=${HOT_MB:-2}
FREQ=${FREQ:-}
RF=${FREQ:+--freq=$FREQ}
[ -x "$H" ] && [ -x "$BIG" ] || { echo "build first: make"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
TMP=$(mktemp -d /tmp/hugexec-recbench.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
if ! "$H" record -q -o "$TMP/probe.prof" -- /bin/true 2>"$TMP/probe.err"; then
	echo "record does not work here: $(cat "$TMP/probe.err")"
	exit 1
fi

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# run CONFIG: one sample; appends "CONFIG ms" to samples
run() {
	cfg=$1
	start=$(ms_now)
	case $cfg in
	A) "$H" "$BIG" --hot-mb "$HOT_MB" --calls "$CALLS" >"$TMP/out" 2>"$TMP/err" ;;
	B) "$H" record -q $RF -o "$TMP/b.prof" -- "$BIG" --hot-mb "$HOT_MB" --calls "$CALLS" \
		>"$TMP/out" 2>"$TMP/err" ;;
	C) "$H" /usr/bin/time -f 'elapsed %e cpu %U %S' "$BIG" --hot-mb "$HOT_MB" \
		--calls "$CALLS" >"$TMP/out" 2>"$TMP/err" ;;
	D) "$H" record -q $RF -o "$TMP/d.prof" -- /usr/bin/time -f 'elapsed %e cpu %U %S' "$BIG" \
		--hot-mb "$HOT_MB" --calls "$CALLS" >"$TMP/out" 2>"$TMP/err" ;;
	esac
	rc=$?
	wall=$(( $(ms_now) - start ))
	[ $rc = 0 ] || { echo "config $cfg failed ($rc): $(cat "$TMP/err")"; exit 1; }
	case $cfg in
	C|D) ms=$(awk '$1 == "elapsed" { printf "%d", $2 * 1000 }' "$TMP/err")
	     cpu=$(awk '$1 == "elapsed" { printf "%d", ($4 + $5) * 1000 }' "$TMP/err")
	     echo "${cfg}cpu $cpu" >>"$TMP/samples" ;;
	*) ms=$wall ;;
	esac
	echo "$cfg $ms" >>"$TMP/samples"
	printf ' %s=%s' "$cfg" "$ms"
	[ -n "${cpu:-}" ] && printf '(cpu %s)' "$cpu"
	cpu=
}

median() { # CONFIG
	awk -v c="$1" '$1 == c { print $2 }' "$TMP/samples" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
spread() { # CONFIG: min..max
	awk -v c="$1" '$1 == c { print $2 }' "$TMP/samples" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo ".." hi }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f (%+.2f%%)", a / b, (a / b - 1) * 100 }'; }

echo "machine: $(uname -srm), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "hugexec: $("$H" --version), perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)"
echo "workload: bigtext-pie --hot-mb $HOT_MB --calls $CALLS, $ROUNDS rounds, order A B C D per round,"
echo "          recording at ${FREQ:-the default} Hz"
i=1
while [ $i -le "$ROUNDS" ]; do
	printf 'round %d:' $i
	for c in A B C D; do run $c; done
	echo
	i=$((i + 1))
done
echo "last recorded run: $("$H" profile show "$TMP/d.prof" | head -n 1)"
for c in A B C D Ccpu Dcpu; do echo "median $c: $(median $c) ms (range $(spread $c))"; done
echo "end to end, record vs plain hugexec (B/A):             $(ratio "$(median B)" "$(median A)")"
echo "the program while sampled, elapsed (D/C):              $(ratio "$(median D)" "$(median C)")"
echo "the program while sampled, CPU time user+sys (Dcpu/Ccpu): $(ratio "$(median Dcpu)" "$(median Ccpu)")"
