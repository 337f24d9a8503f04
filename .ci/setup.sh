#!/bin/sh
# Install what hugexec needs to build and test on Debian 12 (run as root).
# make setup runs this; CI runs it before make test. restic is there for
# t_go: a Go program (its own runtime, no libc) from Debian's archive;
# libclang-rt-14-dev gives clang its libFuzzer (make fuzz);
# libpython3.11-testsuite gives t_layout CPython's own tests to run with
# every function moved; musl-tools builds the launcher static with musl
# (it then starts in 0.1 ms, a glibc program in 0.7 ms here: Makefile).
set -eu
pkgs="build-essential clang musl-tools libelf-dev libzydis-dev libseccomp-dev libcmocka-dev
      python3 perl gawk procps util-linux file gdb strace binutils
      restic libclang-rt-14-dev libpython3.11-testsuite man-db groff-base"
if [ "$(id -u)" != 0 ]; then
	# as a user: through sudo where there is one (a container or CI image
	# run as root has none, and needs none)
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "setup: run as root to install: $(echo $pkgs)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $pkgs
