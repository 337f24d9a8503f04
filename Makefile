# hugexec - see README.md.
#
#   make              build/hugexec (release) and the demo/test programs
#   make test         unit tests (ASan+UBSan) and integration tests
#   make demo         before/after on a generated 32 MB-text program
#   make bench        the full benchmark (bench/README.md); bench-quick
#   make fuzz         libFuzzer targets for every parser of outside input
#   make install      PREFIX=/usr/local DESTDIR=: binary, man page, docs; uninstall
#   make CC=clang     any C11 compiler of the gcc family works

CC      ?= cc
B       := build
# quiet by default; make V=1 shows the commands
ifneq ($(V),1)
Q       := @
say      = @echo "  $(1)	$(2)"
else
say      =
endif
T       := $(B)/test
WARN    := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wformat=2 -Wconversion -Wno-sign-conversion -Wvla
ifeq ($(WERROR),1)
WARN    += -Werror
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -fno-strict-aliasing -D_FILE_OFFSET_BITS=64
# hugexec-core's libraries. libelf, libseccomp and zlib are linked in:
# the core starts while CMD's ld.so runs, and each shared library it maps
# makes that start longer. Debian ships no static Zydis.
LIBS    := -Wl,-Bstatic -lelf -lseccomp -lz -Wl,-Bdynamic -lZydis
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC_COMMON := $(wildcard common/*.c)
SRC_HELPER := $(wildcard helper/*.c)
SRC_INJECT := $(wildcard inject/*.c)
SRC_LOADER := $(wildcard loader/*.c)
SRC_RECORD := $(wildcard record/*.c) $(wildcard profile/*.c)
SRC_ALL    := $(SRC_COMMON) $(SRC_HELPER) $(SRC_INJECT) $(SRC_LOADER) $(SRC_RECORD)
# hugexec, the launcher (loader/handoff.h): what runs before CMD's exec
# event, and needs no library but libc
SRC_FRONT  := loader/main.c loader/launch.c loader/entry.c loader/settle.c loader/handoff.c \
              loader/release.c loader/settings.c loader/config.c loader/resolve.c \
              loader/logsink.c loader/jsonreport.c loader/report.c loader/testhooks.c \
              loader/filter.c loader/session.c loader/candidate.c loader/follow.c \
              common/util.c common/cli.c common/plan.c common/maps.c $(SRC_INJECT)
# hugexec-core: everything else, and the launcher's modules again
SRC_CORE   := $(filter-out loader/main.c,$(SRC_ALL))
# every module but the two mains, for the unit tests
SRC_LIB    := $(filter-out loader/main.c loader/core.c,$(SRC_ALL))

OBJ      := $(SRC_ALL:%.c=$(B)/obj/%.o)
TOBJ     := $(SRC_ALL:%.c=$(T)/obj/%.o)
TLIBOBJ  := $(SRC_LIB:%.c=$(T)/obj/%.o)

# The launcher is static with musl where musl-gcc and the kernel's headers
# are installed (.ci/setup.sh installs them): it then starts in 0.1 ms,
# where any glibc program spends 0.6 ms here in glibc's start-up (its cpuid
# calls, each a trip to the hypervisor on a VM). Else it is built like
# the core, and each launch costs that much more (make MUSL_CC= forces it).
MUSL_CC   ?= $(shell command -v musl-gcc 2>/dev/null)
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
ifneq ($(words $(wildcard /usr/include/linux/ptrace.h /usr/include/$(MULTIARCH)/asm/unistd.h)),2)
MUSL_CC   :=
endif
ifneq ($(MUSL_CC),)
FRONT_OBJ := $(SRC_FRONT:%.c=$(B)/musl/%.o)
else
FRONT_OBJ := $(SRC_FRONT:%.c=$(B)/obj/%.o)
endif

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(T)/unit/%)

# Generated programs: big text in three link styles, plus a small one.
BIGTEXT_MB ?= 32
PROGS    := $(B)/progs/bigtext-pie $(B)/progs/bigtext-nopie $(B)/progs/bigtext-static \
            $(B)/progs/bigthreads $(B)/progs/bigthreads_eh $(B)/progs/patchwait $(B)/progs/patchwait_eh \
            $(B)/progs/biglib-user $(B)/progs/libbigtext.so $(B)/progs/sigvictim \
            $(B)/progs/evict $(B)/progs/thpoff $(B)/progs/noptrace $(B)/progs/mkelf \
            $(B)/progs/hardened $(B)/progs/elfmangle $(B)/progs/execvia $(B)/progs/ownmap $(B)/progs/crossfn \
            $(B)/progs/residue $(B)/progs/residue-big $(B)/progs/residue-static $(B)/progs/uprobe \
            $(B)/progs/sud $(B)/progs/clonevm $(B)/progs/forkctor $(B)/progs/layout_cases
TOOLS    := $(B)/gen_bigtext

.PHONY: all setup test unit integration demo bench bench-quick fuzz fuzz-seeds clean install uninstall
all: $(B)/hugexec $(B)/hugexec-core $(PROGS)

ifneq ($(MUSL_CC),)
$(B)/hugexec: $(FRONT_OBJ)
	$(call say,LD,$@ [musl])
	$(Q)$(MUSL_CC) $(CFLAGS) -static -o $@ $^

# musl's headers, and the kernel's (libc-neutral) beside them
$(B)/musl/include/.made:
	@mkdir -p $(dir $@)
	$(Q)ln -sfn /usr/include/linux $(B)/musl/include/linux
	$(Q)ln -sfn /usr/include/asm-generic $(B)/musl/include/asm-generic
	$(Q)ln -sfn /usr/include/$(MULTIARCH)/asm $(B)/musl/include/asm
	@touch $@
$(B)/musl/%.o: %.c $(B)/musl/include/.made
	@mkdir -p $(dir $@)
	$(call say,CC,$< [musl])
	$(Q)$(MUSL_CC) $(CFLAGS) -isystem $(B)/musl/include -MMD -MP -c -o $@ $<
else
$(B)/hugexec: $(FRONT_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^
endif

$(B)/hugexec-core: $(SRC_CORE:%.c=$(B)/obj/%.o)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The test build: sanitizers, and the fault-injection switches compiled in.
$(T)/hugexec: $(SRC_FRONT:%.c=$(T)/obj/%.o)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^
$(T)/hugexec-core: $(SRC_CORE:%.c=$(T)/obj/%.o)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LIBS)

$(T)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$< [test])
	$(Q)$(CC) $(CFLAGS) $(SAN) -DHUGEXEC_TESTING -MMD -MP -c -o $@ $<

$(T)/unit/%: tests/unit/%.c $(TLIBOBJ)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(SAN) -DHUGEXEC_TESTING -o $@ $^ $(LIBS) -lcmocka

# --- generated test and demo programs -------------------------------------
$(B)/gen_bigtext: bench/gen_bigtext.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -o $@ $<

$(B)/progs/bigtext.S: $(B)/gen_bigtext
	@mkdir -p $(dir $@)
	$(B)/gen_bigtext --text-mb $(BIGTEXT_MB) > $@

BIGTEXT_DEPS := $(B)/progs/bigtext.S bench/bigtext_main.c tests/tools/selfcheck.c tests/tools/selfcheck.h
BIGTEXT_SRC  := $(B)/progs/bigtext.S bench/bigtext_main.c tests/tools/selfcheck.c
$(B)/progs/bigtext-pie: $(BIGTEXT_DEPS)
	$(CC) -O2 -g -fPIE -pie -Itests/tools -o $@ $(BIGTEXT_SRC)
$(B)/progs/bigtext-nopie: $(BIGTEXT_DEPS)
	$(CC) -O2 -g -fno-pie -no-pie -Itests/tools -o $@ $(BIGTEXT_SRC)
# _eh: the same program with libgcc_s loaded, and (bigthreads) unwind
# records: its functions can be moved into an island in a running
# process (t_attach); patchwait: threads standing in, or returning into,
# the first bytes of functions that attach --move=all would patch
$(B)/progs/bigtext_cfi.S: $(B)/gen_bigtext
	@mkdir -p $(dir $@)
	$(B)/gen_bigtext --text-mb $(BIGTEXT_MB) --cfi > $@
$(B)/progs/bigthreads: $(B)/progs/bigtext.S
$(B)/progs/bigthreads_eh: $(B)/progs/bigtext_cfi.S
$(B)/progs/bigthreads_eh $(B)/progs/patchwait_eh: EH_LIBS = -Wl,--no-as-needed -lgcc_s
$(B)/progs/bigthreads $(B)/progs/bigthreads_eh: tests/tools/bigthreads.c
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -fPIE -pie -pthread -o $@ $^ $(EH_LIBS)
$(B)/progs/patchwait $(B)/progs/patchwait_eh: tests/tools/patchwait.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -pthread -o $@ $< $(EH_LIBS)
$(B)/progs/bigtext-static: $(BIGTEXT_DEPS)
	$(CC) -O2 -g -static -Itests/tools -o $@ $(BIGTEXT_SRC)

# the same kind of code in a 12 MB shared library, and a program that uses it
$(B)/progs/biglib.S: $(B)/gen_bigtext
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)$(B)/gen_bigtext --text-mb 12 > $@
$(B)/progs/libbigtext.so: $(B)/progs/biglib.S
	$(call say,CC,$@)
	$(Q)$(CC) -shared -fPIC -g -o $@ $<
$(B)/progs/biglib-user: $(B)/progs/libbigtext.so bench/bigtext_main.c tests/tools/selfcheck.c
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -Itests/tools -o $@ bench/bigtext_main.c tests/tools/selfcheck.c \
		-L$(B)/progs -lbigtext -Wl,-rpath,'$$ORIGIN'

# signal handlers installed before the entry point, with 4 MB of text
$(B)/progs/sig.S: $(B)/gen_bigtext
	@mkdir -p $(dir $@)
	$(Q)$(B)/gen_bigtext --text-mb 4 > $@
$(B)/progs/libsigvictim.so: tests/tools/siglib.c $(B)/progs/sig.S
	$(call say,CC,$@)
	$(Q)$(CC) -shared -fPIC -O2 -g -o $@ $^
$(B)/progs/sigvictim: tests/tools/sigvictim.c $(B)/progs/libsigvictim.so
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -o $@ $< -L$(B)/progs -lsigvictim -Wl,-rpath,'$$ORIGIN'

# what a program can see of its launch (t_residue.sh): small, with 4 MB of
# text to remap, and static (no interpreter: no breakpoint at all)
$(B)/progs/residue: tests/tools/residue.c
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -o $@ $<
$(B)/progs/residue-big: tests/tools/residue.c $(B)/progs/sig.S
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -o $@ $^
$(B)/progs/residue-static: tests/tools/residue.c
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -static -o $@ $<

# programs whose library acts in its constructor, before the entry point,
# with 4 MB of text to remap: Syscall User Dispatch (sud), a process sharing
# its memory (clonevm), a fork (forkctor); PROG.c and its libPROG.so from
# PROGlib.c
CTOR_PROGS := $(B)/progs/sud $(B)/progs/clonevm $(B)/progs/forkctor
$(B)/progs/lib%.so: tests/tools/%lib.c
	$(call say,CC,$@)
	$(Q)$(CC) -shared -fPIC -O2 -g -o $@ $<
$(CTOR_PROGS): $(B)/progs/%: tests/tools/%.c $(B)/progs/sig.S $(B)/progs/lib%.so
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -o $@ $< $(B)/progs/sig.S -L$(B)/progs -l$* -Wl,-rpath,'$$ORIGIN'

# what moved functions must still do (t_layout.sh): C++, threads
$(B)/progs/layout_cases: tests/tools/layout_cases.cc
	@mkdir -p $(dir $@)
	$(call say,CXX,$@)
	$(Q)$(CXX) -O2 -g -o $@ $< -lpthread

# writes its own perf map, like node --perf-basic-prof, with 4 MB of text
$(B)/progs/ownmap: tests/tools/ownmap.c $(B)/progs/sig.S
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -g -o $@ $^

$(B)/progs/%: tests/tools/%.c tests/tools/selfcheck.c tests/tools/selfcheck.h tests/tools/seccomp_deny.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Itests/tools -o $@ $< tests/tools/selfcheck.c -lpthread

# fuzz targets (rules below); make test replays their corpora
FUZZ_SECONDS ?= 60
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN   := $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
FOBJ       := $(SRC_LIB:%.c=$(B)/fuzz/obj/%.o)
REPLAY_BIN := $(FUZZ_NAMES:%=$(T)/replay/%)
FUZZ_CC    ?= clang
FUZZ_FLAGS := -g -O1 -std=gnu11 -D_FILE_OFFSET_BITS=64 -DHUGEXEC_TESTING -fsanitize=address,undefined

# --- setup and tests --------------------------------------------------------
setup:
	@.ci/setup.sh

HX_BINS := $(B)/hugexec $(B)/hugexec-core $(T)/hugexec $(T)/hugexec-core
test: $(UNIT_BIN) $(REPLAY_BIN) $(HX_BINS) $(PROGS)
	@tests/run_all.sh $(UNIT_BIN)

# --- fuzzing -----------------------------------------------------------------
# make fuzz: every tests/fuzz/fuzz_*.c under libFuzzer (clang), FUZZ_SECONDS
# each, from its seed corpus in tests/fuzz/corpus/NAME (copied, so runs do
# not grow the repository). Crashes land in build/fuzz/artifacts/; keep the
# input in tests/fuzz/regressions/NAME/ once fixed: make test replays the
# corpus and every regression through the same entry point (replay.c).

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$< [fuzz])
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FOBJ)
	$(call say,LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)
$(T)/replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(TLIBOBJ)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -DHUGEXEC_TESTING -o $@ $^ $(LIBS)

fuzz: $(FUZZ_BIN)
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(B)/fuzz/corpus/$$n $(B)/fuzz/artifacts; \
		cp -r tests/fuzz/corpus/$$n/. $(B)/fuzz/corpus/$$n/ 2>/dev/null; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$(B)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/artifacts/$$n- $(B)/fuzz/corpus/$$n \
			2>&1 | grep -E '^(stat::number_of_executed_units|==.*ERROR|SUMMARY|Done)' || exit 1; \
	done

# regenerate the seed corpora of the plan, request and maps targets
fuzz-seeds: $(TLIBOBJ) tests/fuzz/mkseeds.c
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $(T)/mkseeds tests/fuzz/mkseeds.c $(TLIBOBJ) $(LIBS)
	$(Q)$(T)/mkseeds tests/fuzz/corpus

unit: $(UNIT_BIN)
	@tests/run_unit.sh $(UNIT_BIN)

integration: $(HX_BINS) $(PROGS)
	@tests/run_integration.sh

# (built by a make of its own: after `make setup demo` installed musl-gcc,
# this make's MUSL_CC was already decided)
demo:
	@$(MAKE) --no-print-directory $(B)/hugexec $(B)/hugexec-core $(B)/progs/bigtext-pie \
		$(B)/progs/evict
	@bench/demo.sh

bench: all
	@bench/run.sh full
bench-quick: all
	@bench/run.sh quick

clean:
	rm -rf $(B)

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the two programs
# (hugexec finds hugexec-core in ../libexec/hugexec/), the man page and
# the documentation; make uninstall takes the same and removes exactly
# those files.
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/hugexec
# (fixed: the two programs find each other there, ../libexec/hugexec from
# bin and ../../bin back; loader/handoff.c, record/record.c)
CORDIR := $(PREFIX)/libexec/hugexec
DOCS   := README.md $(wildcard docs/*.md)
install: $(B)/hugexec $(B)/hugexec-core
	install -D -m 0755 $(B)/hugexec $(DESTDIR)$(PREFIX)/bin/hugexec
	install -D -m 0755 $(B)/hugexec-core $(DESTDIR)$(CORDIR)/hugexec-core
	install -D -m 0644 docs/hugexec.1 $(DESTDIR)$(MANDIR)/man1/hugexec.1
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/hugexec $(DESTDIR)$(CORDIR)/hugexec-core
	rm -f $(DESTDIR)$(MANDIR)/man1/hugexec.1
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CORDIR) 2>/dev/null

# keep objects made along pattern chains (fuzz, replay)
.SECONDARY:

-include $(OBJ:.o=.d) $(TOBJ:.o=.d) $(FOBJ:.o=.d) $(SRC_FRONT:%.c=$(B)/musl/%.d)
