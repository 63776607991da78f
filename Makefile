# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# cowtrace build: BPF objects -> bpftool skeletons -> userspace, system libbpf.

OUTPUT   ?= .output
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= cc
PKG_CONFIG ?= pkg-config
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
LIBBPF_LIBS   := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
# elfutils' libdw (libdwfl): naming the frames of --stacks, as perf does
LIBDW_LIBS    := $(shell $(PKG_CONFIG) --libs libdw 2>/dev/null || echo -ldw)
# sd_notify(): READY=1 under systemd (Type=notify)
SYSTEMD_LIBS  := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)

INCLUDES := -I$(OUTPUT) -Iinclude -Isrc
CFLAGS   ?= -g -O2
CFLAGS   += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -DCOWTRACE_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ivmlinux -Iinclude $(LIBBPF_CFLAGS)

# Pure userspace: aggregation, histograms, outputs (no libbpf) -- unit tested.
CORE_SRCS := src/agg.c src/proctab.c src/stats.c src/hist.c src/output_text.c src/output_json.c src/output_prom.c src/plan.c \
	     src/progs.c \
	     src/record.c src/svg.c src/outfile.c src/stacks.c src/xml.c src/output_stats.c src/predict_core.c
# Talks to the kernel.
TOOL_SRCS := src/main.c src/cli.c src/live.c src/replay.c src/report.c src/sink.c src/probes.c src/kfacts.c \
	     src/kmaps.c src/tracefs.c src/util.c \
	     src/symbolize.c src/stacks_live.c src/notify.c src/predict.c

CORE_OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(CORE_SRCS))
TOOL_OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(TOOL_SRCS))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean test print-% unit-test vm-test load-test vmlinux deps test-deps bench
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUTPUT)/cowtrace

$(OUTPUT):
	$(Q)mkdir -p $@

# The BPF side: one unit per mechanism (bpf/*.bpf.c), linked into one
# object and one skeleton; the maps they share are defined once (bpf/maps.bpf.h).
# lifecycle.bpf.c, which defines the shared maps, goes first: bpftool's
# linker (7.1) lays out an extern met before its definition at offset 0.
BPF_UNITS := $(OUTPUT)/bpf/lifecycle.bpf.o \
	$(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(sort $(filter-out bpf/lifecycle.bpf.c,$(wildcard bpf/*.bpf.c))))

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.bpf.h include/*.h vmlinux/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/cowtrace.bpf.o: $(BPF_UNITS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/probes.o $(OUTPUT)/kmaps.o: $(OUTPUT)/cowtrace.skel.h

$(OUTPUT)/%.o: src/%.c include/*.h src/*.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $(LIBBPF_CFLAGS) -c $< -o $@

$(OUTPUT)/cowtrace: $(TOOL_OBJS) $(CORE_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBBPF_LIBS) $(LIBDW_LIBS) $(SYSTEMD_LIBS) -lm -o $@

# ---- tests ----
# Every TEST(name) of tests/unit/test_*.c, in file order (see tests/unit/harness.h).
$(OUTPUT)/unit_tests.inc: tests/unit/test_*.c | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)sed -n 's/^TEST\(_PATHS\)\{0,1\}(\([A-Za-z0-9_]*\)).*/T(\2)/p' $^ > $@

$(OUTPUT)/test_core: tests/unit/*.c tests/unit/*.h $(OUTPUT)/unit_tests.inc $(CORE_OBJS) $(OUTPUT)/tracefs.o \
		     $(OUTPUT)/util.o $(OUTPUT)/symbolize.o
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $(filter-out %.h %.inc,$^) $(LIBDW_LIBS) -lm -o $@

unit-test: $(OUTPUT)/test_core
	$(Q)$(OUTPUT)/test_core tests/golden

load-test: $(OUTPUT)/cowtrace
	$(Q)tests/load-test.sh $(OUTPUT)/cowtrace

# Overhead, delivery and frontend benchmark (bench/README.md); root, ~20 min.
bench: $(OUTPUT)/cowtrace
	$(Q)COWTRACE=$(OUTPUT)/cowtrace bench/run.sh

vm-test: $(OUTPUT)/cowtrace
	$(Q)COWTRACE=$(OUTPUT)/cowtrace tests/vm/run.sh

test: $(OUTPUT)/cowtrace $(OUTPUT)/test_core
	$(Q)tests/run-all.sh

# Debian packages: build (deps) and the test suite (test-deps).  Run as root.
DEB_BUILD := make gcc clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libsystemd-dev pkg-config
DEB_TEST  := qemu-system-x86 busybox-static cpio python3 valgrind prometheus prometheus-node-exporter \
	     groff-base man-db systemd bash-completion chromium libclang-rt-14-dev redis-server redis-tools
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_BUILD) >/dev/null

# npm (the stacks suite packs speedscope with it): Debian's, unless a Node.js
# with its own npm is installed (NodeSource's nodejs conflicts with Debian's npm).
test-deps: deps
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_TEST) >/dev/null
	command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

clean:
	rm -rf $(OUTPUT)

# The source lists, for the sanitizer and fuzz builds: make -s print-CORE_SRCS
print-%:
	@echo $($*)

# ---- install ----
# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the man page, bash
# completion and the example systemd unit (ExecStart pointed at SBINDIR).
PREFIX      ?= /usr/local
INSTALL     ?= install
SBINDIR     ?= $(PREFIX)/sbin
MAN8DIR     ?= $(PREFIX)/share/man/man8
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system

.PHONY: install uninstall
install: $(OUTPUT)/cowtrace doc/cowtrace.8 contrib/cowtrace.bash-completion contrib/cowtrace.service
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d -m 0755 "$(DESTDIR)$(SBINDIR)" "$(DESTDIR)$(MAN8DIR)" \
		"$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(UNITDIR)"
	$(Q)$(INSTALL) -m 0755 $(OUTPUT)/cowtrace "$(DESTDIR)$(SBINDIR)/cowtrace"
	$(Q)sed 's|^\.I /usr/local/lib/systemd/system/|.I $(UNITDIR)/|' doc/cowtrace.8 \
		> "$(DESTDIR)$(MAN8DIR)/cowtrace.8"
	$(Q)chmod 0644 "$(DESTDIR)$(MAN8DIR)/cowtrace.8"
	$(Q)$(INSTALL) -m 0644 contrib/cowtrace.bash-completion "$(DESTDIR)$(BASHCOMPDIR)/cowtrace"
	$(Q)sed 's|^ExecStart=/usr/local/sbin/cowtrace|ExecStart=$(SBINDIR)/cowtrace|' contrib/cowtrace.service \
		> "$(DESTDIR)$(UNITDIR)/cowtrace.service"
	$(Q)chmod 0644 "$(DESTDIR)$(UNITDIR)/cowtrace.service"

uninstall:
	rm -f "$(DESTDIR)$(SBINDIR)/cowtrace" "$(DESTDIR)$(MAN8DIR)/cowtrace.8" \
		"$(DESTDIR)$(BASHCOMPDIR)/cowtrace" "$(DESTDIR)$(UNITDIR)/cowtrace.service"
