#!/bin/sh
# The README's first command from a fresh clone: `make demo` builds all it
# runs (it used to miss build/progs/evict, and its "plain" run then was not
# from a cold page cache as it claims) and shows both runs.
. tests/integration/lib.sh
command -v git >/dev/null || skip "no git"
git rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
git clone -q "$PWD" "$TMP/clone" 2>"$TMP/clone.err" || fail "git clone: $(cat "$TMP/clone.err")"
DEMO_CALLS=200000 make -C "$TMP/clone" -j2 demo >"$TMP/demo.out" 2>&1 || fail "make demo: $(tail -n 20 "$TMP/demo.out")"
grep -q 'not found\|No such file' "$TMP/demo.out" && fail "make demo: $(grep 'not found\|No such file' "$TMP/demo.out")"
grep -q '^plain  *[0-9]* x 4 KB' "$TMP/demo.out" || fail "no plain run: $(tail -n 20 "$TMP/demo.out")"
grep -q '^hugexec  *[0-9]* x 4 KB' "$TMP/demo.out" || fail "no hugexec run: $(tail -n 20 "$TMP/demo.out")"
[ -x "$TMP/clone/build/progs/evict" ] || fail "make demo did not build evict"
exit 0
