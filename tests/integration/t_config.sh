# The configuration file and HUGEXEC_OPTIONS: precedence (command line >
# variable > file > built-in) as `hugexec config` shows it and as a launch
# uses it; the allow list (a program not on it runs untouched, without a
# tracer); a malformed file or variable is one message with its line, and
# CMD runs.
. tests/integration/lib.sh
need_ptrace
need_thp
big=$P/bigtext-pie
cat >"$TMP/hx.conf" <<EOF
# a test configuration
[*]
backing = file
min-size = 4M
programs = bigtext-* /bin/tru?

[bigtext-pie]
backing = thp
verbose = 1
EOF
export HUGEXEC_CONFIG="$TMP/hx.conf"

# hugexec config: each setting and where it came from
HUGEXEC_OPTIONS="--align=aggressive --min-size=8M" "$H" config --min-size=16M "$big" >"$TMP/c.out" ||
	fail "config: $(cat "$TMP/c.out")"
line() { grep "^$1 " "$TMP/c.out" | tr -s ' '; }
[ "$(line backing)" = "backing thp $TMP/hx.conf:8" ] || fail "section over [*]: $(line backing)"
[ "$(line verbose)" = "verbose 1 $TMP/hx.conf:9" ] || fail "verbose: $(line verbose)"
[ "$(line align)" = "align aggressive HUGEXEC_OPTIONS" ] || fail "variable over built-in: $(line align)"
[ "$(line min-size)" = "min-size 16M command line" ] || fail "command line over variable: $(line min-size)"
[ "$(line strict)" = "strict no built-in" ] || fail "built-in: $(line strict)"
grep -q "^treated   yes: matches 'bigtext-\*'" "$TMP/c.out" || fail "allow list: $(cat "$TMP/c.out")"
"$H" config /bin/sleep >"$TMP/c2.out"
grep -q '^treated   no' "$TMP/c2.out" && [ "$(grep '^backing ' "$TMP/c2.out" | tr -s ' ')" = "backing file $TMP/hx.conf:3" ] ||
	fail "config of another program: $(cat "$TMP/c2.out")"

# a launch uses them: its section says verbose = 1 and thp
capture plain "$big" --calls 1000
capture on "$H" "$big" --calls 1000
same_run plain on
grep -q 'on 2 MB pages (thp' "$TMP/on.err" || fail "the file's settings were not used: $(cat "$TMP/on.err")"
# the variable over the file, the command line over both
HUGEXEC_OPTIONS="--dry-run" capture dry "$H" "$big" --calls 1000
grep -q 'plan: [0-9]* group' "$TMP/dry.err" || fail "HUGEXEC_OPTIONS not used: $(cat "$TMP/dry.err")"
HUGEXEC_OPTIONS="-v" capture q "$H" -q "$big" --calls 1000
same_run plain q
[ ! -s "$TMP/q.err" ] || fail "-q over the variable's -v: $(cat "$TMP/q.err")"
# a flag set either way: --strict=no over the file's strict = yes; -v
# over the file's verbose = 1 is 1, not 2; a list of a higher origin
# replaces the file's
printf '[*]\nstrict = yes   # a comment after a blank\nverbose = 1\nexclude = *libc*\n' >"$TMP/f.conf"
HUGEXEC_CONFIG="$TMP/f.conf" "$H" config --strict=no -v --exclude='*ld-linux*' "$big" >"$TMP/c3.out" ||
	fail "config: $(cat "$TMP/c3.out")"
[ "$(grep '^strict ' "$TMP/c3.out" | tr -s ' ')" = "strict no command line" ] || fail "--strict=no: $(cat "$TMP/c3.out")"
[ "$(grep '^verbose ' "$TMP/c3.out" | tr -s ' ')" = "verbose 1 command line" ] || fail "-v over verbose = 1: $(cat "$TMP/c3.out")"
[ "$(grep '^exclude ' "$TMP/c3.out" | tr -s ' ')" = "exclude *ld-linux* command line" ] || fail "lists: $(cat "$TMP/c3.out")"
# a FIFO named as the file: refused at once, never waited on
mkfifo "$TMP/fifo.conf"
HUGEXEC_CONFIG="$TMP/fifo.conf" timeout 10 "$H" /bin/true 2>"$TMP/fifo.err"; rc=$?
[ $rc = 0 ] && grep -q 'fifo.conf: not a regular file' "$TMP/fifo.err" || fail "FIFO config: $rc $(cat "$TMP/fifo.err")"
# --strict on a program the allow list leaves out: said, exit 125
capture sx "$H" --strict /bin/sleep 0
[ "$(cat "$TMP/sx.rc")" = 125 ] && grep -q 'not in the programs of .*--strict: not running it' "$TMP/sx.err" ||
	fail "--strict, not listed: $(cat "$TMP/sx.rc") $(cat "$TMP/sx.err")"

# not on the allow list: untouched, no tracer (not one ptrace call)
if command -v strace >/dev/null; then
	strace -f -qq -e trace=ptrace -o "$TMP/st" "$H" /bin/sleep 0 || fail "sleep"
	[ ! -s "$TMP/st" ] || fail "a program not on the list was traced: $(head -3 "$TMP/st")"
	strace -f -qq -e trace=ptrace -o "$TMP/st" "$H" /bin/true 2>/dev/null
	grep -q PTRACE_SEIZE "$TMP/st" || fail "a program on the list was not traced"
else
	note "no strace: the untraced check is not run"
fi
capture v "$H" -v /bin/sleep 0
grep -q 'not in the programs of .*hx.conf: running it untouched' "$TMP/v.err" || fail "-v: $(cat "$TMP/v.err")"

# a malformed file: one line naming it, and CMD runs with the rest
printf 'backing = thp\nstrict = perhaps\n' >"$TMP/bad.conf"
HUGEXEC_CONFIG="$TMP/bad.conf" capture bad "$H" "$big" --calls 1000
same_run plain bad
[ "$(grep -c . "$TMP/bad.err")" = 1 ] && grep -q "^hugexec: $TMP/bad.conf:2: strict: 'perhaps' is not yes or no; the file is not used" "$TMP/bad.err" ||
	fail "malformed file: $(cat "$TMP/bad.err")"
HUGEXEC_CONFIG="$TMP/bad.conf" "$H" config "$big" >/dev/null; [ $? = 1 ] || fail "config: a bad file is not exit 1"
# ... and a malformed variable
HUGEXEC_OPTIONS="--backing=sideways" capture badv "$H" "$big" --calls 1000
same_run plain badv
grep -q "^hugexec: HUGEXEC_OPTIONS: --backing: 'sideways' is not auto, file, hugetlb or thp; the variable is not used" "$TMP/badv.err" ||
	fail "malformed variable: $(cat "$TMP/badv.err")"
# a named file that is not there is said; the default path missing is not
HUGEXEC_CONFIG="$TMP/none.conf" capture none "$H" /bin/true
grep -q "none.conf: No such file" "$TMP/none.err" || fail "missing named file: $(cat "$TMP/none.err")"
exit 0
