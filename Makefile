# dockgate - see README.md.  `make` builds, `make test` runs every test.
#
# The privilege boundary is physical here: dockgate-worker links only
# protocol/, sandbox/ and worker/ (no libcurl, no policy, no broker);
# `make check-boundary` proves it with nm.

CC      ?= cc
BUILD   ?= build
O       ?= -O2
CFLAGS  ?= $(O) -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -Wno-unused-parameter -fno-strict-aliasing -Iprotocol -Isandbox -Iaudit \
           $(shell pkg-config --cflags jansson msgpack libevent)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ifeq ($(SAN),1)
CFLAGS  += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif

LIB_PROTO  = $(shell pkg-config --libs jansson msgpack)
LIB_SUP    = $(LIB_PROTO) $(shell pkg-config --libs libevent libcurl libcrypto) -levent_extra \
             -lhttp_parser
LIB_WORKER = $(LIB_PROTO) $(shell pkg-config --libs libevent libseccomp zlib) -lhttp_parser
LIB_CLIENT = $(LIB_PROTO) $(shell pkg-config --libs libcrypto)

PROTO_SRC   = $(wildcard protocol/*.c)
SANDBOX_SRC = $(wildcard sandbox/*.c)
WORKER_SRC  = $(filter-out worker/main.c,$(wildcard worker/*.c))
SUP_SRC     = $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
CLIENT_SRC  = $(filter-out client/main.c,$(wildcard client/*.c))
# audit/: the audit log's seal (SHA-256), for dockgated and dockgate only:
# the worker never links it, nor libcrypto.
AUDIT_SRC   = $(wildcard audit/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
PROTO_OBJ   = $(call obj,$(PROTO_SRC))
SANDBOX_OBJ = $(call obj,$(SANDBOX_SRC))
WORKER_OBJ  = $(call obj,$(WORKER_SRC))
SUP_OBJ     = $(call obj,$(SUP_SRC))
CLIENT_OBJ  = $(call obj,$(CLIENT_SRC))
AUDIT_OBJ   = $(call obj,$(AUDIT_SRC))
# The test-only evil worker: the shipped worker's objects plus its hooks (tests/evil/).
EVIL_OBJ    = $(call obj,worker/main.c) $(WORKER_OBJ) $(BUILD)/tests/evil/evil.o

BINS = $(BUILD)/bin/dockgated $(BUILD)/bin/dockgate-worker $(BUILD)/bin/dockgate
TEST_BINS = $(BUILD)/bin/dockgate-worker-evil $(BUILD)/tests/tools/tarcheck
# tests/unit/test_sv_*.c test supervisor modules; the others protocol/,
# worker/ and client/ (the two sides share symbol names, never a binary).
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps test unit unit-san integration integration-san test-stress check-boundary run demo bench \
        fuzz format lint clean man install uninstall
all: $(BINS) $(TEST_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# Test-only worker: tests/evil/evil.c sets the worker's test hooks
# (worker/hooks.h) to attacks on the sandbox and invariant 2.  It is never
# installed; dockgate-worker links none of it.
$(BUILD)/tests/evil/evil.o: tests/evil/evil.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworker -MMD -MP -c -o $@ $<

$(BUILD)/bin/dockgated: $(call obj,supervisor/main.c) $(SUP_OBJ) $(AUDIT_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_SUP)

# Full RELRO and no lazy binding: every symbol is bound once, in the zygote
# (supervisor/zygote.h), not by each worker it forks (a dynamic-linker lookup
# and a copy-on-write page of the GOT per function, per child), and the GOT
# is read-only after start.
#
# Static PIE (WORKER_STATIC=1, the default but under SAN=1): one mapping per
# segment instead of five per library, so each fork copies, and each exit
# tears down, far fewer mappings and page tables, and a child faults in
# fewer pages (docs/performance.md: about 300 us of CPU less per fresh
# stream).  Still position-independent: ASLR as before.  The trade-off: a
# security update of libevent, jansson, msgpack-c, libseccomp, http-parser
# or glibc needs the worker rebuilt (debian/control: Built-Using).  The
# linker warns that libevent's unused getaddrinfo would need glibc's NSS
# modules at run time; the worker never resolves a name.
ifeq ($(SAN),1)
WORKER_STATIC ?= 0
else
WORKER_STATIC ?= 1
endif
WORKER_LDFLAGS = -Wl,-z,relro,-z,now
ifeq ($(WORKER_STATIC),1)
WORKER_LDFLAGS += -static-pie
endif

$(BUILD)/bin/dockgate-worker: $(call obj,worker/main.c) $(WORKER_OBJ) $(SANDBOX_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(WORKER_LDFLAGS) -o $@ $^ $(LIB_WORKER)

$(BUILD)/bin/dockgate-worker-evil: $(EVIL_OBJ) $(SANDBOX_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(WORKER_LDFLAGS) -o $@ $^ $(LIB_WORKER)

# client/flags.c wraps getopt and getopt_long to explain a refused flag.
WRAP_GETOPT = -Wl,--wrap=getopt -Wl,--wrap=getopt_long

$(BUILD)/bin/dockgate: $(call obj,client/main.c) $(CLIENT_OBJ) $(AUDIT_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(WRAP_GETOPT) -o $@ $^ $(LIB_CLIENT)

# Test-only: the archive checker as a filter, for the engine-as-oracle test.
$(BUILD)/tests/tools/tarcheck: tests/tools/tarcheck.c $(call obj,worker/tar.c worker/tarfs.c)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworker $(LDFLAGS) -o $@ $^

# Unit tests link protocol/ plus whichever non-main modules they test.
$(BUILD)/tests/%: tests/unit/%.c $(PROTO_OBJ) $(WORKER_OBJ) $(CLIENT_OBJ) $(AUDIT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Iworker -Iclient $(LDFLAGS) $(WRAP_GETOPT) -o $@ $^ $(LIB_WORKER) \
		$(shell pkg-config --libs libcrypto) -lcmocka

# Supervisor unit tests link every supervisor module but main.c.
$(BUILD)/tests/test_sv_%: tests/unit/test_sv_%.c $(SUP_OBJ) $(AUDIT_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Isupervisor $(LDFLAGS) -o $@ $^ $(LIB_SUP) -lcmocka

deps:
	sh contrib/install-deps.sh

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)
	@sh tests/check-ops.sh
	@python3 tests/check-layers.py

unit-san:
	$(MAKE) BUILD=build/san SAN=1 O=-O1 unit

# The same integration suite with dockgated and dockgate built with ASan and
# UBSan, against SAN_ENGINE (docker, or podman: docs/engines.md).  The worker
# keeps its shipped build: the sanitizer runtime needs system calls its
# seccomp filter refuses, and the worker's modules run under the sanitizers
# in the unit tests and fuzzers.
integration-san: all
	$(MAKE) BUILD=build/san SAN=1 O=-O1 build/san/bin/dockgated build/san/bin/dockgate
	@mkdir -p build/mixed/bin
	cp build/san/bin/dockgated build/san/bin/dockgate build/mixed/bin/
	cp $(BUILD)/bin/dockgate-worker $(BUILD)/bin/dockgate-worker-evil build/mixed/bin/
	@mkdir -p build/mixed/tests/tools
	cp $(BUILD)/tests/tools/tarcheck build/mixed/tests/tools/
	DOCKGATE_SANITIZED=1 ENGINE=$(SAN_ENGINE) sh tests/run-integration.sh build/mixed

check-boundary: $(BUILD)/bin/dockgate-worker
	@sh tests/check-boundary.sh $(BUILD)/bin/dockgate-worker

# ENGINE=podman runs the suite against a private Podman service instead of
# dockerd (tests/lib/engine.sh; docs/engines.md).
ENGINE ?= docker
# The engine of integration-san: `make test` runs it against dockerd until
# the Podman suite passes (docs/engines.md, "Not yet passing").
SAN_ENGINE ?= docker
integration: all
	@ENGINE=$(ENGINE) sh tests/run-integration.sh $(BUILD)

# The raw, stream and load tests with the machine busy (three CPU-bound
# processes) and slow peers (1 ms per 4 KiB read), STRESS_ROUNDS times in a
# row; `make test` runs one round.
STRESS_ROUNDS ?= 3
test-stress: all
	@sh tests/stress.sh $(BUILD) $(STRESS_ROUNDS)

# Both entry points install what is missing first, so that they work on a
# fresh Debian machine (install-deps.sh is idempotent and quick when done).
test:
	sh contrib/install-deps.sh
	$(MAKE) lint
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) check-boundary
	$(MAKE) fuzz-smoke
	$(MAKE) integration
	$(MAKE) test-stress STRESS_ROUNDS=1
	$(MAKE) integration-san

# make run: a gateway for you, in the foreground until Ctrl-C (contrib/run-gateway.sh).
run:
	sh contrib/install-deps.sh
	$(MAKE) $(BINS)
	sh contrib/run-gateway.sh $(BUILD)

# make demo: a short scripted tour of the tool's verbs, then everything stops.
demo:
	sh contrib/install-deps.sh
	$(MAKE) $(BINS)
	sh contrib/demo.sh $(BUILD)

# -- installing -------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=...]: binaries, the worker under
# libexec, config and policy (never over an existing one), man pages, bash
# completion, the systemd unit.  The Debian package (debian/) uses it.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
LIBEXECDIR  ?= $(PREFIX)/libexec
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
DOCDIR      ?= $(DATADIR)/doc/dockgate
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
INSTALL     ?= install

SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
            -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
MANPAGES = $(BUILD)/man/dockgated.8 $(BUILD)/man/dockgate.1 $(BUILD)/man/dockgate-policy.5

$(BUILD)/man/%: docs/man/%
	@mkdir -p $(dir $@)
	$(SUBST) $< >$@
# dockgate(1)'s verbs and their flags come from the tool's own help.
$(BUILD)/man/dockgate.1: docs/man/dockgate.1.in docs/man/verbs.sh $(BUILD)/bin/dockgate
	@mkdir -p $(dir $@)
	sh docs/man/verbs.sh $(BUILD)/bin/dockgate <docs/man/dockgate.1.in | $(SUBST) >$@

man: $(MANPAGES)

install: $(BINS) $(MANPAGES)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/dockgate \
		$(DESTDIR)$(SYSCONFDIR)/dockgate $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 755 $(BUILD)/bin/dockgated $(DESTDIR)$(SBINDIR)/dockgated
	$(INSTALL) -m 755 $(BUILD)/bin/dockgate $(DESTDIR)$(BINDIR)/dockgate
	$(INSTALL) -m 755 $(BUILD)/bin/dockgate-worker $(DESTDIR)$(LIBEXECDIR)/dockgate/dockgate-worker
	$(SUBST) contrib/dockgated.conf.in >$(BUILD)/dockgated.conf
	$(SUBST) contrib/systemd/dockgated.service.in >$(BUILD)/dockgated.service
	test -e $(DESTDIR)$(SYSCONFDIR)/dockgate/dockgated.conf || \
		$(INSTALL) -m 644 $(BUILD)/dockgated.conf $(DESTDIR)$(SYSCONFDIR)/dockgate/dockgated.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/dockgate/policy.json || \
		$(INSTALL) -m 644 contrib/policy.installed.json $(DESTDIR)$(SYSCONFDIR)/dockgate/policy.json
	$(INSTALL) -m 644 contrib/policy.example.json contrib/dockgated.conf.example \
		$(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -m 644 $(BUILD)/man/dockgate.1 $(DESTDIR)$(MANDIR)/man1/dockgate.1
	$(INSTALL) -m 644 $(BUILD)/man/dockgate-policy.5 $(DESTDIR)$(MANDIR)/man5/dockgate-policy.5
	$(INSTALL) -m 644 $(BUILD)/man/dockgated.8 $(DESTDIR)$(MANDIR)/man8/dockgated.8
	$(INSTALL) -m 644 $(BUILD)/dockgated.service $(DESTDIR)$(SYSTEMDUNITDIR)/dockgated.service
	$(INSTALL) -m 644 contrib/bash-completion/dockgate $(DESTDIR)$(BASHCOMPDIR)/dockgate

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/dockgated $(DESTDIR)$(BINDIR)/dockgate \
		$(DESTDIR)$(LIBEXECDIR)/dockgate/dockgate-worker \
		$(DESTDIR)$(MANDIR)/man1/dockgate.1 $(DESTDIR)$(MANDIR)/man5/dockgate-policy.5 \
		$(DESTDIR)$(MANDIR)/man8/dockgated.8 $(DESTDIR)$(SYSTEMDUNITDIR)/dockgated.service \
		$(DESTDIR)$(BASHCOMPDIR)/dockgate
	rm -rf $(DESTDIR)$(DOCDIR)
	-rmdir $(DESTDIR)$(LIBEXECDIR)/dockgate

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Static checks: clang-format (check only), cppcheck, clang-tidy (.clang-tidy);
# tests/lint/lint.sh says what each covers.  LINT_STEPS picks some.
LINT_STEPS ?= format cppcheck tidy
lint:
	@sh tests/lint/lint.sh $(LINT_STEPS)

# libFuzzer harnesses: `make fuzz` (FUZZ_SECONDS each), `make fuzz-smoke`.
include tests/fuzz/fuzz.mk

# Direct socket vs dockgate, side by side (bench/run.sh; needs root).
$(BUILD)/bench/dgbench: bench/dgbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lhttp_parser -lpthread

# The process-creation floor: a tiny static process (bench/floor.c).
$(BUILD)/bench/floor: bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static -o $@ $<

bench: all $(BUILD)/bench/dgbench $(BUILD)/bench/floor
	sh bench/run.sh $(BUILD)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
