#!/usr/bin/env bash
# chart.sh - draw the PNG chart of a bench run from its JSON (gnuplot).
#
#   bench/chart.sh bench/results/latest.json bench/results/latest.png
#
# Four panels: bigtext throughput against plain by hot-code size; remap
# speed by size against memcpy; node and mariadbd against plain (median
# ratio, whiskers from the configuration's min and max); launch time.
# Reads only the "series" lines of the JSON (report.sh writes one series a
# line), so any saved latest.json can be drawn again.
# Must never: write anywhere but the PNG and its own temp dir.
set -u
in=$1 png=$2
tmp=$(mktemp -d /tmp/hugexec-chart.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# one tab-separated line per series: workload case config metric better median min max ratio ref
grep '"metric": ' "$in" | awk '
function get(l, k,    p, v) {
	p = index(l, "\"" k "\": "); if (!p) return ""
	v = substr(l, p + length(k) + 4)
	if (substr(v, 1, 1) == "\"") { v = substr(v, 2); return substr(v, 1, index(v, "\"") - 1) }
	match(v, /^[^,}]*/); return substr(v, 1, RLENGTH)
}
{ printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", get($0, "workload"), get($0, "case"), get($0, "config"),
	get($0, "metric"), get($0, "better"), get($0, "median"), get($0, "min"), get($0, "max"), get($0, "ratio") }
' > "$tmp/series.tsv"

awk -F'\t' -v D="$tmp" '
{ med[$1, $2, $3, $4] = $6 }
$1 == "bigtext" && $4 == "mcalls_s" {
	hot = $2; sub(/^hot /, "", hot); sub(/ MB$/, "", hot)
	if (!(hot in hs)) { hs[hot] = 1; hots[++nh] = hot }
	if (!($3 in cs)) { cs[$3] = 1; cfgs[++nc] = $3 }
	v[hot, $3] = $6; lo[hot, $3] = $7; hi[hot, $3] = $8
}
$1 == "remap" {
	mb = $2; sub(/ MB$/, "", mb)
	if (!(mb in rs)) { rs[mb] = 1; rmbs[++nr] = mb }
	if (!($3 in rc)) { rc[$3] = 1; rcfg[++nrc] = $3 }
	rv[mb, $3] = $6; rlo[mb, $3] = $7; rhi[mb, $3] = $8
}
($1 == "node" || $1 == "mariadb") && $3 != "plain" { rel[++nrel] = $0 }
$1 == "launch" { printf "\"%s\"\t%s\t%s\t%s\n", $3, $6, $7, $8 > (D "/launch.dat") }
END {
	# bigtext: one block per config: hot, ratio, ratio(min), ratio(max)
	for (c = 1; c <= nc; c++) {
		printf "\"%s\"\n", cfgs[c] > (D "/bigtext.dat")
		for (h = 1; h <= nh; h++) {
			p = v[hots[h], "plain"]
			if (p == "" || v[hots[h], cfgs[c]] == "") continue
			printf "%s\t%s\t%s\t%s\n", hots[h], v[hots[h], cfgs[c]] / p, lo[hots[h], cfgs[c]] / p, \
				hi[hots[h], cfgs[c]] / p > (D "/bigtext.dat")
		}
		printf "\n\n" > (D "/bigtext.dat")
	}
	for (c = 1; c <= nrc; c++) {
		printf "\"%s\"\n", rcfg[c] > (D "/remap.dat")
		for (m = 1; m <= nr; m++)
			if (rv[rmbs[m], rcfg[c]] != "")
				printf "%s\t%s\t%s\t%s\n", rmbs[m], rv[rmbs[m], rcfg[c]], rlo[rmbs[m], rcfg[c]], \
					rhi[rmbs[m], rcfg[c]] > (D "/remap.dat")
		printf "\n\n" > (D "/remap.dat")
	}
	# node/mariadb: ratio against plain with whiskers from the config min/max
	for (i = 1; i <= nrel; i++) {
		split(rel[i], f, "\t")
		p = med[f[1], f[2], "plain", f[4]]
		if (p == "" || f[6] + 0 == 0) continue
		if (f[5] == "higher") { r = f[6] / p; a = f[7] / p; b = f[8] / p }
		else { r = p / f[6]; a = p / f[8]; b = p / f[7] }
		c = f[2]; sub(/^oltp_/, "", c); sub(/^node_work.js x[0-9]+$/, "", c)
		printf "\"%s%s%s %s: %s\"\t%s\t%s\t%s\n", f[1], (c == "" ? "" : " "), c, f[4], f[3], r, a, b > (D "/rel.dat")
	}
}' "$tmp/series.tsv"
touch "$tmp/bigtext.dat" "$tmp/remap.dat" "$tmp/rel.dat" "$tmp/launch.dat"

title=$(grep -m1 '"cpu": ' "$in" | sed 's/.*"cpu": "\(.*\)",*$/\1/')
kernel=$(grep -m1 '"kernel": ' "$in" | sed 's/.*"kernel": "\(.*\)",*$/\1/')
date=$(grep -m1 '"date": ' "$in" | sed 's/.*"date": "\(.*\)",*$/\1/')

cat > "$tmp/chart.gp" <<EOF
set terminal pngcairo size 1400,1000 font "sans,10" noenhanced
set output "$png"
set multiplot layout 2,2 title "hugexec bench, $date — $title, kernel $kernel"
set grid ytics
set key top left

set title "bigtext: calls/s vs plain (median; whiskers: min..max)"
set xlabel "hot code (MB)"; set ylabel "throughput / plain"
set logscale x 2
set xrange [0.7:200]
set yrange [*:*]
plot for [i=0:*] "$tmp/bigtext.dat" index i using 1:2:3:4 with yerrorlines title columnheader(1), 1 with lines lt 0 notitle
unset logscale x; set xrange [*:*]

set title "remap speed vs memcpy (median; whiskers: min..max)"
set xlabel "text (MB)"; set ylabel "MB/s (log)"
set logscale x 2
set logscale y 2
set xrange [10:400]
plot for [i=0:*] "$tmp/remap.dat" index i using 1:2:3:4 with yerrorlines title columnheader(1)
unset logscale x; unset logscale y; set xrange [*:*]

set lmargin 12
set title "node and mariadbd vs plain (median ratio, > 1 better; whiskers: config min..max)"
set xlabel ""; set ylabel "ratio vs plain"
set xtics rotate by 30 right font ",8"
set xrange [-0.5:*]
set offsets 0, 0.5, 0.05, 0.05
plot "$tmp/rel.dat" using 0:2:3:4:xtic(1) with yerrorbars pt 7 lw 1.5 notitle, 1 with lines lt 0 notitle
set xtics norotate font ",10"
set offsets 0, 0, 0, 0
set xrange [-0.5:*]
set yrange [0:*]
set style fill solid 0.5
set boxwidth 0.6

unset lmargin
set title "launch: /bin/true (median; whiskers: min..max)"
set ylabel "ms"
plot "$tmp/launch.dat" using 0:2:xtic(1) with boxes notitle, "" using 0:2:3:4 with yerrorbars lt -1 notitle
unset multiplot
EOF
gnuplot "$tmp/chart.gp"
