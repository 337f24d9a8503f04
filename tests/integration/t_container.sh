# Containers: hugexec as PID 1 of a PID namespace makes CMD PID 1 (same
# output and status), and leaves at most its tracer's exit behind (a
# zombie until CMD reaps: the limit docs/operations.md states); the
# image recipe - the binary and the libraries docs/operations.md lists,
# nothing else - runs in a chroot with /proc and /sys, as in a container.
. tests/integration/lib.sh
need_ptrace
need_thp
is_root || skip "needs root (unshare --pid, chroot)"
command -v unshare >/dev/null || skip "no unshare"
big=$P/bigtext-pie
capture plain "$big" --calls 1000
capture ns unshare --pid --fork --mount-proc "$H" "$big" --calls 1000
same_run plain ns

# PID 1, and what else lives in the namespace
unshare --pid --fork --mount-proc "$H" -v "$big" --calls 4000000000 >/dev/null 2>"$TMP/ns1.err" &
u=$!
at_exit "kill -9 \$(pgrep -P $u) 2>/dev/null"
w=0 c=
while [ $w -lt 100 ] && ! grep -q 'on 2 MB pages' "$TMP/ns1.err" 2>/dev/null; do sleep 0.05; w=$((w + 1)); done
c=$(pgrep -P $u | head -n 1)
[ -n "$c" ] || fail "no process in the namespace"
[ "$(sed -n 's/^NSpid:.*[[:space:]]\([0-9]*\)$/\1/p' /proc/$c/status)" = 1 ] || fail "CMD is not PID 1: $(grep NSpid /proc/$c/status)"
[ "$(sed -n 's/^Name:[[:space:]]*//p' /proc/$c/status)" = bigtext-pie ] || fail "PID 1 is not CMD"
grep -q 'on 2 MB pages (thp' "$TMP/ns1.err" || fail "not remapped: $(cat "$TMP/ns1.err")"
# (the tracer may still write the perf map: wait for its end)
w=0; while [ $w -lt 100 ] && ps --ppid "$c" -o stat= | grep -q '^[^Z]'; do sleep 0.05; w=$((w + 1)); done
others=$(ps --ppid "$c" -o stat=,comm= | grep -v '^Z.* hugexec\(-core\)\{0,1\}$' | grep -c .)
zombies=$(ps --ppid "$c" -o stat=,comm= | grep -c '^Z')
[ "$others" = 0 ] && [ "$zombies" -le 1 ] || fail "left in the namespace: $(ps --ppid "$c" -o pid,stat,comm)"
kill -9 "$c" 2>/dev/null; wait $u 2>/dev/null # (a PID 1 ignores SIGTERM without a handler)
note "CMD is PID 1; the tracer's exit stays as $zombies zombie until CMD reaps"

# The image recipe: only what docs/operations.md says to copy
R=$TMP/root
mkdir -p "$R/proc" "$R/sys" "$R/tmp"
sed -n 's/^    COPY: //p' docs/operations.md >"$TMP/copy.list"
[ -s "$TMP/copy.list" ] || fail "docs/operations.md lists nothing to copy"
for f in $(cat "$TMP/copy.list"); do
	src=$f
	[ "$f" = /usr/local/bin/hugexec ] && src=$H
	[ "$f" = /usr/local/libexec/hugexec/hugexec-core ] && src=$(dirname "$H")/hugexec-core
	[ -e "$src" ] || fail "docs/operations.md lists $f, which is not here"
	mkdir -p "$R$(dirname "$f")"
	cp -L "$src" "$R$f"
done
cp "$P/bigtext-static" "$R/app"
unshare --mount --pid --fork --mount-proc="$R/proc" sh -c \
	"mount -t sysfs sysfs '$R/sys' && exec chroot '$R' /usr/local/bin/hugexec -v /app --calls 1000" \
	>"$TMP/c.out" 2>"$TMP/c.err"
"$P/bigtext-static" --calls 1000 >"$TMP/cp.out"
cmp -s "$TMP/c.out" "$TMP/cp.out" || fail "in the image: $(cat "$TMP/c.out")"
grep -q 'on 2 MB pages (thp' "$TMP/c.err" || fail "in the image: $(cat "$TMP/c.err")"
note "the image recipe ($(wc -l <"$TMP/copy.list") files) runs in a chroot"
exit 0
