# A Go binary (statically linked, its own runtime, no libc) reaches its
# entry point like any other and gets its text remapped. Uses the Go
# toolchain if there is one, else a Go program already on the machine.
. tests/integration/lib.sh
need_ptrace
need_thp
if command -v go >/dev/null; then
	mkdir -p "$TMP/gohello" && cd "$TMP/gohello" || exit 99
	printf 'package main\nimport ("fmt"; "os"; "strings")\nfunc main() { fmt.Println(strings.Repeat("go", 3), len(os.Args)) }\n' > main.go
	printf 'module gohello\n' > go.mod
	HOME=$TMP GOCACHE=$TMP/cache GOFLAGS=-mod=mod go build -o "$TMP/gobin" . 2>"$TMP/goerr" || fail "go build: $(cat "$TMP/goerr")"
	cd - >/dev/null || exit 99
	set -- "$TMP/gobin" a b
else
	for c in restic docker containerd runc; do
		p=$(command -v $c) || continue
		grep -qa 'Go build' "$p" 2>/dev/null || continue
		set -- "$p" version
		[ $c = restic ] || set -- "$p" --version
		break
	done
	[ $# -gt 0 ] || skip "no Go toolchain and no Go program on this machine"
fi
capture plain "$@"
capture hx "$H" -v --align=aggressive "$@"
same_run plain hx
grep -q 'MB of .* of text on 2 MB pages (' "$TMP/hx.err" || fail "nothing remapped: $(cat "$TMP/hx.err")"
note "$(basename "$1"): $(sed -n 's/^hugexec: [^:]*: //p' "$TMP/hx.err")"
exit 0
