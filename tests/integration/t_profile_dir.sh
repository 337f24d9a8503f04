# --profile-dir picks the profile of this build (DIR/BUILD-ID.prof) among
# several and ignores the rest, by the kernel's word (PROCMAP_QUERY) or,
# as on a kernel before 6.11, the helper's; --learn records a build that
# has none on its first run, and the second run uses what it saved.
. tests/integration/lib.sh
need_ptrace
need_thp
"$H" record -o "$TMP/probe.prof" -- /bin/true 2>"$TMP/probe.err"
case $(cat "$TMP/probe.err") in
*"not permitted"*|*"not available"*|*"no software clock"*) skip "perf events: $(cat "$TMP/probe.err")";;
esac
pie=$P/bigtext-pie nopie=$P/bigtext-nopie
bid() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }
D=$TMP/profiles
mkdir "$D"
"$H" record -q -o "$D/$(bid "$pie").prof" -- "$pie" --hot-mb 1 --calls 3000000 >/dev/null || fail "record pie"
"$H" record -q -o "$D/$(bid "$nopie").prof" -- "$nopie" --hot-mb 1 --calls 3000000 >/dev/null || fail "record nopie"
# the rest of a fleet's directory: another build's profile, junk, a name
# that is no build-id, a subdirectory
cp "$D/$(bid "$nopie").prof" "$D/0123456789abcdef0123456789abcdef01234567.prof"
echo junk >"$D/README"; mkdir "$D/old"

for how in kernel helper; do
	env=; [ $how = helper ] && env=HUGEXEC_TEST_NO_PROCMAP_QUERY=1
	capture p env $env "$HT" -v --profile-dir="$D" "$pie" --hot-mb 1 --calls 1000
	grep -q "profile $D/$(bid "$pie").prof (--profile-dir" "$TMP/p.err" && grep -q 'layout: [1-9]' "$TMP/p.err" ||
		fail "$how: pie: $(cat "$TMP/p.err")"
	if [ $how = helper ] || grep -q 'named by the kernel' "$TMP/p.err"; then
		grep -q "named by the $how" "$TMP/p.err" || fail "$how: not named by the $how: $(cat "$TMP/p.err")"
	else
		note "the kernel cannot name a build (PROCMAP_QUERY, 6.11): the helper did"
	fi
	capture n env $env "$HT" -v --profile-dir="$D" "$nopie" --hot-mb 1 --calls 1000
	grep -q "profile $D/$(bid "$nopie").prof (--profile-dir" "$TMP/n.err" || fail "$how: nopie: $(cat "$TMP/n.err")"
	capture pl "$pie" --hot-mb 1 --calls 1000
	same_run pl p
done
# a small program (nothing for 2 MB pages alone) still gets its profile,
# also where the helper must name the build
small=$(command -v gzip)
head -c 8000000 /dev/urandom >"$TMP/rnd"
"$H" record -q -o "$D/$(bid "$small").prof" -- "$small" -1 -c "$TMP/rnd" >/dev/null || fail "record small"
for env in "" HUGEXEC_TEST_NO_PROCMAP_QUERY=1; do
	capture sm env $env "$HT" -v --profile-dir="$D" "$small" -1 -c "$TMP/rnd"
	grep -q "profile $D/$(bid "$small").prof (--profile-dir" "$TMP/sm.err" || fail "small program ($env): $(cat "$TMP/sm.err")"
done
# no profile of this build: said with -v, the program runs as before
capture s "$H" -v --profile-dir="$D" "$P/sigvictim"
grep -q -- "--profile-dir: no profile of build" "$TMP/s.err" || fail "no profile: $(cat "$TMP/s.err")"

# --learn: the first run records (after it is let go), the second uses it
L=$TMP/learn
mkdir "$L"
capture l1 "$H" --profile-dir="$L" --learn=60 "$pie" --hot-mb 1 --calls 20000000
capture plain "$pie" --hot-mb 1 --calls 20000000
same_run plain l1
f=$L/$(bid "$pie").prof
w=0; while [ $w -lt 100 ] && [ ! -s "$f" ]; do sleep 0.1; w=$((w + 1)); done
[ -s "$f" ] || fail "--learn saved nothing: $(ls -la "$L")"
[ -z "$(ls -A "$L" | grep -v '^[0-9a-f]*\.prof$')" ] || fail "--learn left a temporary file: $(ls -A "$L")"
"$H" profile check "$f" "$pie" >/dev/null || fail "the learnt profile is not of this build"
capture l2 "$H" -v --profile-dir="$L" --learn=60 "$pie" --hot-mb 1 --calls 1000
grep -q "profile $f (--profile-dir" "$TMP/l2.err" && grep -q 'layout: [1-9]' "$TMP/l2.err" ||
	fail "the second run did not use the learnt profile: $(cat "$TMP/l2.err")"
note "--learn: $(grep -c '^func ' "$f") functions sampled on the first run, used on the second"
exit 0
