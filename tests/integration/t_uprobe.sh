#!/bin/sh
# A uprobe on the text (perf probe, bpftrace, USDT tracers) survives the
# launch: the kernel writes its int3 into the program's page and knows it
# only there, so a copy of that text used to trap with no probe behind it
# (SIGTRAP, the program dead). Text changed in memory by anyone but ld.so's
# text relocations is never copied; the file backing (which maps the file
# again, and the kernel puts its probes back) may serve it.
. tests/integration/lib.sh
need_ptrace
is_root || skip "registering a uprobe needs root"
[ -r /sys/bus/event_source/devices/uprobe/type ] || skip "no uprobe PMU in this kernel"
probe() { # tag prog cmd...: run under a uprobe on $SYM (bt_f5000) of prog
	tag=$1 prog=$2; shift 2
	sym=$(nm "$prog" | awk -v s="${SYM:-bt_f5000}" '$3 == s { print $1 }')
	base=$(readelf -lW "$prog" | awk '$1 == "LOAD" && $7 == "E" { print $3; exit }')
	off=$(readelf -lW "$prog" | awk '$1 == "LOAD" && $7 == "E" { print $2; exit }')
	fo=$(printf '%x' $((0x$sym - base + off)))
	"$P/uprobe" "$prog" "$fo" "$@" >"$TMP/$tag.out" 2>"$TMP/$tag.err"
	grep -q '^uprobe: hits=' "$TMP/$tag.out" || skip "cannot probe: $(cat "$TMP/$tag.err")"
}
for kind in pie nopie; do
	prog=$P/bigtext-$kind
	probe plain "$prog" "$prog" --calls 200000
	hits=$(sed -n 's/^uprobe: hits=\([0-9]*\) status=0$/\1/p' "$TMP/plain.out")
	[ "${hits:-0}" -gt 0 ] || fail "$kind: the probe never fired plainly: $(cat "$TMP/plain.out")"
	# norand: the PIE at an address that is not 2 MB-aligned, so a copy
	probe hx "$prog" setarch "$(uname -m)" -R "$H" -vv "$prog" --calls 200000
	[ "$(grep '^uprobe:' "$TMP/plain.out")" = "$(grep '^uprobe:' "$TMP/hx.out")" ] ||
		fail "$kind: plain $(grep '^uprobe:' "$TMP/plain.out"), under hugexec $(grep '^uprobe:' "$TMP/hx.out"): $(cat "$TMP/hx.err")"
	grep -q 'changed in memory.*(a uprobe?)' "$TMP/hx.err" || fail "$kind: not said why: $(cat "$TMP/hx.err")"
	note "$kind: $hits hits plainly and under hugexec; $(grep -m1 'uprobe?' "$TMP/hx.err")"
done
# the layout: an object whose text holds a probe moves none of its
# functions (a copy made from the file would not carry the probe's int3)
prog=$P/layout_cases
SYM=_ZL8dispatchii probe lplain "$prog" "$prog"
SYM=_ZL8dispatchii probe lhx "$prog" "$H" -v --move=all --min-size=0 "$prog"
[ "$(grep '^uprobe:' "$TMP/lplain.out")" = "$(grep '^uprobe:' "$TMP/lhx.out")" ] ||
	fail "layout: plain $(grep '^uprobe:' "$TMP/lplain.out"), under --move=all $(grep '^uprobe:' "$TMP/lhx.out"): $(cat "$TMP/lhx.err")"
grep -q "0 of 10 functions patched" "$TMP/lhx.err" || fail "layout: probed text moved: $(cat "$TMP/lhx.err")"
grep -q "layout: [0-9]* functions" "$TMP/lhx.err" || fail "layout: no island for the libraries: $(cat "$TMP/lhx.err")"
note "layout: $(sed -n 's/^uprobe: //p' "$TMP/lplain.out") plainly and under --move=all; the probed executable moved nothing"
exit 0
