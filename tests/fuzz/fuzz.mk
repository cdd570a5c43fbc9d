# fuzz.mk - libFuzzer harnesses (clang), included by the top Makefile.
#
#   make fuzz                  each harness for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_SECONDS=5   shorter
#   make fuzz-smoke            what `make test` runs: replay the seed corpora
#                              and regression inputs, then ~2 s per harness
#
# Harnesses are built with clang, libFuzzer, ASan and UBSan into
# $(BUILD)/fuzz/; the project sources they need are compiled again with
# the same flags into $(BUILD)/fuzz/obj/ (gcc's objects are not reused).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 2
FUZZ_DIR      = $(BUILD)/fuzz
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral \
                -Wno-unused-parameter -fno-strict-aliasing -Iprotocol -Iworker -Isupervisor \
                $(shell pkg-config --cflags jansson msgpack libevent) $(FUZZ_SAN)
FUZZ_LIBS     = $(shell pkg-config --libs jansson msgpack) -lhttp_parser
# stream_logs.c's limits, shrunk (same proportions) so that inputs of a few
# KiB reach its record-splitting paths; the harness checks against them.
FUZZ_CFLAGS  += -DLOGS_FRAME_MAX=4096u -DLOGS_ERR_MAX=512u -DLOGS_KEEP_MAX=1024u \
                -DLOGS_TEXT_ESCAPED_MAX=6144u

FUZZ_NAMES = frame chunk envelope msg mpjson jtext schema policy engine_reader tar dockerfile \
             dapi_req dapi_create dapi_exec dapi_update build
FUZZ_BINS  = $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
fuzzobj    = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))

FUZZ_PROTO_OBJ = $(call fuzzobj,$(PROTO_SRC))
# Beyond protocol/, what each harness links.
FUZZ_EXTRA_policy        = $(call fuzzobj,supervisor/policy.c supervisor/policy_parse.c \
                                      supervisor/policy_diag.c supervisor/bindroot.c)
FUZZ_LIBS_policy         = -lcrypto
FUZZ_EXTRA_engine_reader = $(call fuzzobj,worker/http.c worker/stream_logs.c worker/dstream.c)
FUZZ_EXTRA_tar           = $(call fuzzobj,worker/tar.c worker/tarfs.c)
FUZZ_EXTRA_dockerfile    = $(call fuzzobj,worker/dockerfile.c)
FUZZ_EXTRA_build         = $(call fuzzobj,worker/build.c worker/dockerfile.c worker/tar.c worker/tarfs.c)
FUZZ_LIBS_build          = -lz
FUZZ_EXTRA_dapi_req      = $(call fuzzobj,worker/dapi_req.c worker/dapi_path.c worker/http.c)
FUZZ_EXTRA_dapi_create   = $(call fuzzobj,worker/dapi_create.c worker/dapi_knobs.c)
FUZZ_EXTRA_dapi_update   = $(call fuzzobj,worker/dapi_create.c worker/dapi_knobs.c)
FUZZ_EXTRA_dapi_exec     = $(call fuzzobj,worker/dapi_execbody.c worker/dapi_create.c \
                                      worker/dapi_knobs.c)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "fuzz cc $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

FUZZ_ALL_OBJ = $(FUZZ_PROTO_OBJ) $(FUZZ_EXTRA_policy) $(FUZZ_EXTRA_engine_reader) $(FUZZ_EXTRA_tar) $(FUZZ_EXTRA_dockerfile) \
               $(FUZZ_EXTRA_dapi_req) $(FUZZ_EXTRA_dapi_create) $(call fuzzobj,worker/build.c) $(call fuzzobj,worker/dapi_execbody.c) \
               $(call fuzzobj,$(patsubst %,tests/fuzz/fuzz_%.c,$(FUZZ_NAMES)))
.SECONDARY: $(FUZZ_ALL_OBJ)

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: $$(call fuzzobj,tests/fuzz/fuzz_%.c) $(FUZZ_PROTO_OBJ) $$(FUZZ_EXTRA_%)
	@mkdir -p $(dir $@)
	@echo "fuzz ld $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS) $(FUZZ_LIBS_$*)

.PHONY: fuzz fuzz-build fuzz-smoke
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) $(FUZZ_NAMES)
