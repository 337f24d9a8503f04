# Ordinary commands give byte-identical stdout, stderr and exit status with
# and without hugexec; and again with everything hugexec can remap
# remapped (-v --align=aggressive --min-size=4K: libraries, windows around
# small texts), where its own -v line is the only difference on stderr.
. tests/integration/lib.sh
need_ptrace
printf 'pear\napple\nfig\nbanana\n' > "$TMP/input"
n=0 remapped=0
check() {
	n=$((n + 1))
	capture p$n "$@" < "$TMP/input"
	capture h$n "$H" "$@" < "$TMP/input"
	cmp -s "$TMP/p$n.out" "$TMP/h$n.out" || fail "stdout differs for: $*"
	cmp -s "$TMP/p$n.err" "$TMP/h$n.err" || fail "stderr differs for: $*: $(cat "$TMP/h$n.err")"
	cmp -s "$TMP/p$n.rc" "$TMP/h$n.rc" || fail "status differs for: $*"
	capture a$n "$H" -v --align=aggressive --min-size=4K "$@" < "$TMP/input"
	cmp -s "$TMP/p$n.out" "$TMP/a$n.out" || fail "stdout differs for (aggressive): $*"
	grep -v '^hugexec: ' "$TMP/a$n.err" | cmp -s - "$TMP/p$n.err" ||
		fail "stderr differs for (aggressive): $*: $(cat "$TMP/a$n.err")"
	cmp -s "$TMP/p$n.rc" "$TMP/a$n.rc" || fail "status differs for (aggressive): $*"
	if grep -q '^hugexec: .* [1-9][0-9.]* MB of .* on 2 MB pages' "$TMP/a$n.err"; then
		remapped=$((remapped + 1))
	fi
}
check true
check false
check echo hello world
check ls -la /usr/include/linux/netfilter
check cat /etc/os-release
check sort
check wc -l /etc/passwd
check sh -c 'echo $((6 * 7)); echo to-stderr >&2; exit 3'
check awk 'BEGIN { print 2 ^ 10 } { print NR": "$0 }'
check perl -e 'print "perl ", 1 + 1, "\n"; print STDERR "warn\n"; exit 4'
check python3 -c 'import sys; print(sys.version_info[0], sum(range(100)))'
check gcc --version
check sed 's/a/A/g'
check grep -n an
check tr a-z A-Z
check seq 1 5
check md5sum /etc/hostname
check env -i PATH=/usr/bin:/bin printenv PATH
check uname -s
check date -u -d @0
check expr 2 + 3
check ls /nonexistent-dir
check sh -c 'kill -INT $$'
if command -v node >/dev/null; then check node -e 'console.log([1, 2, 3].map(x => x * 2).join(","))'; fi
# big text in libraries (libLLVM, libclang-cpp) and a big executable
if command -v clang >/dev/null; then check clang --version; fi
if command -v gdb >/dev/null; then check gdb -nx -batch -ex 'print 6*7'; fi
note "$n commands identical; $remapped of them with text on 2 MB pages in the aggressive runs"
[ $n -ge 15 ] || fail "only $n commands"
[ $remapped -ge 3 ] || fail "only $remapped commands had anything remapped: the corpus tests little"
