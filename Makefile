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
LIB_SUP    = $(LIB_PROTO) $(shell pkg-config --libs libevent libcurl libcrypto) -levent_extra
LIB_WORKER = $(LIB_PROTO) $(shell pkg-config --libs libevent libseccomp) -lhttp_parser
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
EVIL_OBJ    = $(patsubst %.c,$(BUILD)/evil/%.o,$(WORKER_SRC) worker/main.c)

BINS = $(BUILD)/bin/dockgated $(BUILD)/bin/dockgate-worker $(BUILD)/bin/dockgate
TEST_BINS = $(BUILD)/bin/dockgate-worker-evil
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps test unit unit-san integration integration-san check-boundary run bench fuzz format tidy clean
all: $(BINS) $(TEST_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# Test-only worker: DG_EVIL compiles in ops that try to break the sandbox and
# invariant 2.  It is never installed and never built into dockgate-worker.
$(BUILD)/evil/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DDG_EVIL -MMD -MP -c -o $@ $<

$(BUILD)/bin/dockgated: $(call obj,supervisor/main.c) $(SUP_OBJ) $(AUDIT_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_SUP)

$(BUILD)/bin/dockgate-worker: $(call obj,worker/main.c) $(WORKER_OBJ) $(SANDBOX_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_WORKER)

$(BUILD)/bin/dockgate-worker-evil: $(EVIL_OBJ) $(SANDBOX_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_WORKER)

$(BUILD)/bin/dockgate: $(call obj,client/main.c) $(CLIENT_OBJ) $(AUDIT_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_CLIENT)

# Unit tests link protocol/ plus whichever non-main modules they test.
$(BUILD)/tests/%: tests/unit/%.c $(PROTO_OBJ) $(WORKER_OBJ) $(CLIENT_OBJ) $(AUDIT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Iworker -Iclient $(LDFLAGS) -o $@ $^ $(LIB_WORKER) \
		$(shell pkg-config --libs libcrypto) -lcmocka

deps:
	sh contrib/install-deps.sh

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

unit-san:
	$(MAKE) BUILD=build/san SAN=1 O=-O1 unit

# The same integration suite with dockgated and dockgate built with ASan and
# UBSan.  The worker keeps its shipped build: the sanitizer runtime needs
# system calls its seccomp filter refuses, and the worker's modules run under
# the sanitizers in the unit tests and fuzzers.
integration-san: all
	$(MAKE) BUILD=build/san SAN=1 O=-O1 build/san/bin/dockgated build/san/bin/dockgate
	@mkdir -p build/mixed/bin
	cp build/san/bin/dockgated build/san/bin/dockgate build/mixed/bin/
	cp $(BUILD)/bin/dockgate-worker $(BUILD)/bin/dockgate-worker-evil build/mixed/bin/
	DOCKGATE_SANITIZED=1 sh tests/run-integration.sh build/mixed

check-boundary: $(BUILD)/bin/dockgate-worker
	@sh tests/check-boundary.sh $(BUILD)/bin/dockgate-worker

# ENGINE=podman runs the suite against a private Podman service instead of
# dockerd (tests/lib/engine.sh; docs/engines.md).
ENGINE ?= docker
integration: all
	@ENGINE=$(ENGINE) sh tests/run-integration.sh $(BUILD)

# Both entry points install what is missing first, so that they work on a
# fresh Debian machine (install-deps.sh is idempotent and quick when done).
test:
	sh contrib/install-deps.sh
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) check-boundary
	$(MAKE) fuzz-smoke
	$(MAKE) integration
	$(MAKE) integration-san

run:
	sh contrib/install-deps.sh
	$(MAKE) all
	sh contrib/run-demo.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# libFuzzer harnesses: `make fuzz` (FUZZ_SECONDS each), `make fuzz-smoke`.
include tests/fuzz/fuzz.mk

# Direct socket vs dockgate, side by side (bench/run.sh; needs root).
$(BUILD)/bench/dgbench: bench/dgbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lhttp_parser -lpthread

bench: all $(BUILD)/bench/dgbench
	sh bench/run.sh $(BUILD)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
