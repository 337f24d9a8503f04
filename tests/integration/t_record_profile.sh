# hugexec profile show/merge/import/export/check on real profiles: merging
# keeps builds apart, perf script output imports (the checked-in sample,
# and a fresh one when perf is installed), the exported symbol order is the
# hot code with main first, a stale profile is refused with a warning, a
# malformed one is an error naming the file and line.
. tests/integration/lib.sh

fsum() { awk -v re="$2" '$1 == "func" && $5 ~ re { s += $4 } END { print s + 0 }' "$1"; }
objs() { grep -c '^object ' "$1"; }

"$H" record -o "$TMP/probe.prof" -- /bin/true 2>"$TMP/probe.err"
case $(cat "$TMP/probe.err") in
*"not permitted"*|*"not available"*|*"no software clock"*) skip "perf events: $(cat "$TMP/probe.err")";;
esac
big=$P/bigtext-pie
"$H" record -q -o "$TMP/a.prof" -- "$big" --hot-mb 2 --calls 10000000 >/dev/null || fail "record a"
${CC:-cc} -O2 -fno-omit-frame-pointer -pthread -o "$TMP/threads" tests/tools/threads.c &&
mkdir "$TMP/v2" && ${CC:-cc} -O1 -fno-omit-frame-pointer -pthread -o "$TMP/v2/threads" tests/tools/threads.c ||
	fail "cannot build tests/tools/threads.c"
"$H" record -q -o "$TMP/t1.prof" -- "$TMP/threads" --iters 50000000 >/dev/null || fail "record t1"
"$H" record -q -o "$TMP/t2.prof" -- "$TMP/v2/threads" --iters 50000000 >/dev/null || fail "record t2"

# show: the headline numbers
"$H" profile show --top 3 "$TMP/a.prof" >"$TMP/show.out" || fail "show"
for p in 50 90 99; do
	grep -q "hot code: .* covers $p% of samples" "$TMP/show.out" || fail "show: no $p% line: $(cat "$TMP/show.out")"
done
[ "$(grep -c '  bt_f\|  main$' "$TMP/show.out")" = 3 ] || fail "show --top 3: $(cat "$TMP/show.out")"
"$H" profile show --object bigtext-pie "$TMP/a.prof" >/dev/null || fail "show --object"
"$H" profile show --object nosuch "$TMP/a.prof" 2>/dev/null; [ $? = 1 ] || fail "show --object nosuch"

# merge: the same build adds up; another build of threads stays apart
"$H" profile merge "$TMP/a.prof" "$TMP/a.prof" -o "$TMP/aa.prof" 2>/dev/null || fail "merge"
[ "$(fsum "$TMP/aa.prof" .)" = $(( $(fsum "$TMP/a.prof" .) * 2 )) ] || fail "merge did not add up"
[ "$(objs "$TMP/aa.prof")" = "$(objs "$TMP/a.prof")" ] || fail "merge of one build made new objects"
"$H" profile merge "$TMP/a.prof" "$TMP/t1.prof" "$TMP/t2.prof" -o "$TMP/m.prof" 2>"$TMP/m.err" || fail "merge 3"
[ "$(grep -c '^object .*/threads$' "$TMP/m.prof")" = 2 ] || fail "two builds of threads were merged"
grep -q '2 builds of threads kept apart' "$TMP/m.err" || fail "merge: no note: $(cat "$TMP/m.err")"
"$H" profile merge "$TMP/a.prof" -o "$TMP/x.prof" "$TMP/nonexistent.prof" 2>"$TMP/e.err"; rc=$?
[ $rc = 1 ] && grep -q nonexistent.prof "$TMP/e.err" || fail "merge of a missing file: $rc"

# check: the stale-profile gate the launcher's --profile will use
"$H" profile check "$TMP/t1.prof" "$TMP/threads" >/dev/null || fail "check of the right build"
"$H" profile check "$TMP/t1.prof" "$TMP/v2/threads" 2>"$TMP/stale.err"; rc=$?
[ $rc = 1 ] && grep -q "warning: profile .*t1.prof is stale" "$TMP/stale.err" || fail "stale: $rc $(cat "$TMP/stale.err")"
"$H" profile check "$TMP/t1.prof" "$big" 2>"$TMP/none.err"; rc=$?
[ $rc = 1 ] && grep -q "has no data for" "$TMP/none.err" || fail "check of another program: $rc"

# export: C3 symbol order (main first, then the leaves it calls) and the
# call graph lld reads
"$H" profile export --symbol-order "$TMP/a.prof" >"$TMP/order.txt" || fail "export"
[ "$(head -n 1 "$TMP/order.txt")" = main ] || fail "export: $(head -n 3 "$TMP/order.txt")"
# (a sample may also land, now and then, in the program's own start-up
# code or a PLT stub: _start, frame_dummy, sub_ADDR (bounds from .eh_frame
# only); each such line must be a function of the program, a couple at
# most)
grep -v '^main$\|^bt_f\([0-9]\|[1-9][0-9]\|[1-4][0-9][0-9]\|50[0-9]\|51[01]\)$' "$TMP/order.txt" >"$TMP/other.txt"
[ "$(grep -c . "$TMP/other.txt")" -le 2 ] || fail "export: $(grep -c . "$TMP/other.txt") lines are not hot functions: $(head -5 "$TMP/other.txt")"
while read -r fn; do
	case $fn in sub_[0-9a-f]*) continue;; esac
	nm "$big" | grep -q " [Tt] $fn\$" || fail "export: '$fn' is not a function of the program"
done <"$TMP/other.txt"
# (the functions of the object exported: a sample may land in libc too)
nfunc=$(awk '$1 == "object" { mine = ($3 == "'"$big"'") } mine && /^func .* [1-9][0-9]* [^ ]*$/ { n++ } END { print n + 0 }' "$TMP/a.prof")
[ "$(wc -l <"$TMP/order.txt")" = "$nfunc" ] ||
	fail "export: not one line per sampled function ($(wc -l <"$TMP/order.txt") lines, $nfunc functions)"
"$H" profile export --symbol-order --order hot --object bigtext-pie -o "$TMP/hot.txt" "$TMP/m.prof" ||
	fail "export -o"
[ "$(head -n 1 "$TMP/hot.txt")" = main ] || fail "export --order hot: $(head -n 1 "$TMP/hot.txt")"
"$H" profile export --call-graph --object bigtext-pie "$TMP/m.prof" >"$TMP/cg.txt" || fail "call graph"
grep -q '^main bt_f[0-9]* [0-9]*$' "$TMP/cg.txt" || fail "call graph: $(head -n 2 "$TMP/cg.txt")"
"$H" profile export --symbol-order --object threads "$TMP/m.prof" 2>/dev/null; [ $? = 1 ] ||
	fail "export of an ambiguous object"
# --object as a relative path (from the repository root, where tests run),
# through realpath or as the end of the recorded path
for name in build/progs/bigtext-pie ./build/progs/bigtext-pie progs/bigtext-pie; do
	"$H" profile export --symbol-order --object "$name" "$TMP/m.prof" >"$TMP/rel.txt" 2>"$TMP/rel.err" ||
		fail "export --object $name: $(cat "$TMP/rel.err")"
	cmp -s "$TMP/rel.txt" "$TMP/order.txt" || fail "export --object $name: another order"
done
(cd "$TMP" && "$H" profile export --symbol-order --object "$P/../progs/bigtext-pie" m.prof >/dev/null 2>&1) ||
	fail "export --object with .. in it"
"$H" profile export --symbol-order --object ogs/bigtext-pie "$TMP/m.prof" 2>/dev/null; [ $? = 1 ] ||
	fail "export --object matched part of a file name"
# without --object in a profile of several objects: a note says which one
"$H" profile export --symbol-order "$TMP/m.prof" >/dev/null 2>"$TMP/pick.err" || fail "export of m.prof"
# (which one that is depends on this machine's speed: bigtext or a threads)
top=$(awk '$1 == "object" { o = $3 } $1 == "samples" && $2 > n { n = $2; t = o } END { print t }' "$TMP/m.prof")
grep -q "note: .*m.prof has [0-9]* objects; exporting $top (build-id .*, the most samples); choose another with --object" \
	"$TMP/pick.err" || fail "export: no note on the object chosen: $(cat "$TMP/pick.err")"
"$H" profile export --symbol-order --object bigtext-pie "$TMP/m.prof" >/dev/null 2>"$TMP/pick1.err" &&
	[ ! -s "$TMP/pick1.err" ] || fail "export --object said: $(cat "$TMP/pick1.err")"

# import: the checked-in sample (bigtext --hot-mb 1), binary read from here
"$H" profile import --perf-script tests/fixtures/perfscript-bigtext-g.txt --object "$big" \
	-o "$TMP/imp.prof" 2>"$TMP/imp.err" || fail "import: $(cat "$TMP/imp.err")"
hot=$(fsum "$TMP/imp.prof" '^bt_f([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$')
all=$(fsum "$TMP/imp.prof" '^bt_f')
[ "$hot" -gt 100 ] && [ "$hot" = "$all" ] || fail "import: $hot of $all samples in bt_f0..255"
"$H" profile import --perf-script tests/fixtures/perfscript-bigtext-g.txt --object "$big" \
	--buildid-list /dev/null -o "$TMP/imp2.prof" 2>/dev/null || fail "import --buildid-list"
echo "0000000000000000000000000000000000000000 /work/main/build/progs/bigtext-pie" >"$TMP/ids"
"$H" profile import --perf-script tests/fixtures/perfscript-bigtext-g.txt --object "$big" \
	--buildid-list "$TMP/ids" -o "$TMP/imp3.prof" 2>"$TMP/imp3.err" || fail "import (stale)"
grep -q 'leaving it out' "$TMP/imp3.err" && [ "$(fsum "$TMP/imp3.prof" '^bt_f')" = 0 ] ||
	fail "import of another build was not refused"
printf 'x 1 1.0: 1 task-clock:\n\tnot a frame\n' >"$TMP/bad.txt"
"$H" profile import --perf-script "$TMP/bad.txt" -o "$TMP/bad.prof" 2>"$TMP/bad.err"; rc=$?
[ $rc = 1 ] && grep -q "bad.txt:2: not a call-chain frame" "$TMP/bad.err" && [ ! -e "$TMP/bad.prof" ] ||
	fail "bad perf script: $rc $(cat "$TMP/bad.err")"
# ... and a fresh one, if perf is here and allowed
if command -v perf >/dev/null && perf record -q -e task-clock -g -o "$TMP/perf.data" \
	"$big" --hot-mb 2 --calls 10000000 >/dev/null 2>&1; then
	perf script --no-demangle -i "$TMP/perf.data" >"$TMP/perf.txt" 2>/dev/null
	"$H" profile import --perf-script "$TMP/perf.txt" -o "$TMP/live.prof" 2>"$TMP/live.err" ||
		fail "import of live perf script: $(cat "$TMP/live.err")"
	hot=$(fsum "$TMP/live.prof" '^bt_f([0-9]|[1-9][0-9]|[1-4][0-9][0-9]|50[0-9]|51[01])$')
	[ "$hot" -gt 100 ] && [ "$hot" = "$(fsum "$TMP/live.prof" '^bt_f')" ] || fail "live import: $hot"
	"$H" profile check "$TMP/live.prof" "$big" >/dev/null || fail "live import: wrong build-id"
else
	note "perf is not usable here: live perf script import not tested"
fi

# malformed profiles: an error that names the file and the line
sed 's/^samples .*/samples many/' "$TMP/a.prof" >"$TMP/bad.prof"
"$H" profile show "$TMP/bad.prof" >/dev/null 2>"$TMP/bad.err"; rc=$?
[ $rc = 1 ] && grep -q "bad.prof:7: expected 'samples N'" "$TMP/bad.err" || fail "malformed: $rc $(cat "$TMP/bad.err")"
head -n 20 "$TMP/a.prof" >"$TMP/cut.prof"
"$H" profile show "$TMP/cut.prof" >/dev/null 2>"$TMP/cut.err"; rc=$?
[ $rc = 1 ] && grep -q "cut.prof:20: no 'end' line" "$TMP/cut.err" || fail "truncated: $rc $(cat "$TMP/cut.err")"
# totals that would not add up in 64 bits are refused where they are read
id=$(awk '$1 == "object" { print $2; exit }' "$TMP/a.prof")
printf 'hugexec-profile 1\nunattributed 18446744073709551615\nobject %s /x\nsamples 1\nend\n' "$id" >"$TMP/sat.prof"
"$H" profile show "$TMP/sat.prof" >"$TMP/sat.out" 2>"$TMP/sat.err"; rc=$?
[ $rc = 1 ] && grep -q "sat.prof:4: the samples of all objects and 'unattributed' add up past 2^64" "$TMP/sat.err" &&
	! grep -q ' 0 in 1 object' "$TMP/sat.out" || fail "saturating totals: $rc $(cat "$TMP/sat.out" "$TMP/sat.err")"
: >"$TMP/empty.prof"
"$H" profile show "$TMP/empty.prof" 2>"$TMP/empty.err"; rc=$?
[ $rc = 1 ] && grep -q "empty.prof:1: empty file" "$TMP/empty.err" || fail "empty profile: $rc $(cat "$TMP/empty.err")"
"$H" profile frobnicate 2>/dev/null; [ $? = 125 ] || fail "unknown subcommand"
exit 0
