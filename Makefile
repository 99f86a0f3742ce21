# egs: Eryph Guest Services as one static multicall binary.
#
#   make            fetch + verify + build the dependencies, then build/egs
#   make test       build everything and run unit + integration tests
#   make demo       show the main job end to end
#   make deps       only the dependency pipeline (Debian source packages)
#   make SAN=1 test sanitizer build of our code (clang ASan+UBSan, glibc)
#   make valgrind   a service session under valgrind --leak-check=full
#   make fuzz FUZZ_SECONDS=N [FUZZ=fuzz_a,fuzz_b]   libFuzzer targets in tests/fuzz/
#   make iso | initramfs | e2e   guests (see docs/guests.md)
#
# Every dependency comes from a Debian source package (vendor/*/VERSION pins
# the upstream tarball's sha256); nothing fetched is committed.

VERSION := 0.1.0
B       ?= build
DEPS    ?= build/deps
MUSL_CC ?= musl-gcc
HOST_CC ?= gcc

# musl has no kernel headers (linux/vm_sockets.h, ...): use the system's
# after musl's own.
KHDR := -idirafter /usr/include -idirafter /usr/include/x86_64-linux-gnu

.PHONY: all deps test unit integration demo clean distclean tools musl-check \
	iso initramfs e2e bench bench-memory fuzz valgrind
all: $(B)/egs

include vendor/bearssl/bearssl.mk
include vendor/libyaml/libyaml.mk
include vendor/zlib/zlib.mk
include vendor/cloud-init/cloud-init.mk
include vendor/dropbear/dropbear.mk

MUSL_LIBS := $(DEPS)/musl/bearssl/libbearssl.a $(DEPS)/musl/libyaml/libyaml.a \
	$(DEPS)/musl/zlib/libz.a
HOST_LIBS := $(DEPS)/host/bearssl/libbearssl.a $(DEPS)/host/libyaml/libyaml.a \
	$(DEPS)/host/zlib/libz.a

deps: tools $(MUSL_LIBS) $(HOST_LIBS) $(DROPBEAR_EMBED) $(CLOUDINIT_SCHEMA)

# Build and test tools from Debian's archive (vendor/tools.sh installs the
# missing ones with apt-get when run as root).
tools:
	@vendor/tools.sh

musl-check:
	@command -v $(MUSL_CC) >/dev/null || vendor/tools.sh

# ---- our code -------------------------------------------------------------
COMMON_SRCS  := $(sort $(wildcard common/*.c))
APPLET_SRCS  := $(sort $(wildcard applets/*.c))
GEN_SRCS     := $(B)/gen/schema_blob.c
WARN         := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
# Our headers are found with "quotes" only (-iquote), so common/yaml.h
# never hides libyaml's <yaml.h>.
INCS         := -iquote common -iquote applets -iquote $(B)/gen $(BEARSSL_INC) $(LIBYAML_INC) \
	$(ZLIB_INC) -I$(DROPBEAR_EMBED_INC)
DEFS         := -D_GNU_SOURCE -DEGS_VERSION='"$(VERSION)"'

MUSL_CFLAGS  := -std=gnu11 -O2 $(WARN) $(DEFS) $(INCS) $(KHDR) \
	-ffunction-sections -fdata-sections
MUSL_OBJS    := $(patsubst %.c,$(B)/musl/%.o,$(COMMON_SRCS) $(APPLET_SRCS)) \
	$(B)/musl/gen/schema_blob.o

$(B)/musl/%.o: %.c common/*.h applets/applets.h applets/applets.def | $(MUSL_LIBS)
	@mkdir -p $(@D)
	$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

$(B)/musl/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

# The cloud-init schema, deflated, as a C array (common/embedded.h).
$(B)/gen/schema_blob.c: $(CLOUDINIT_SCHEMA) vendor/cloud-init/embed.py
	@mkdir -p $(@D)
	/usr/bin/python3 vendor/cloud-init/embed.py egs_schema_blob $(CLOUDINIT_SCHEMA) > $@.tmp && mv $@.tmp $@

# After linking: the validator must implement every keyword of the
# embedded cloud-init schema (egs validate --self-check names the first
# one it does not), else the build fails.
$(B)/egs: $(MUSL_OBJS) $(DROPBEAR_EMBED) $(MUSL_LIBS)
	$(MUSL_CC) -static -s -Wl,--gc-sections -o $@.tmp $(MUSL_OBJS) $(DROPBEAR_EMBED) $(MUSL_LIBS)
	$@.tmp validate --self-check
	mv $@.tmp $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"

# ---- tests ----------------------------------------------------------------
# Unit tests: tests/unit/test_*.c, each linked with testlib.c and our common
# code built for the host with ASan+UBSan (or clang with SAN=1).
ifeq ($(SAN),1)
TEST_CC  := clang
HOST_OBJ := $(B)/san/host
else
TEST_CC  := $(HOST_CC)
HOST_OBJ := $(B)/host
endif
TEST_CFLAGS := -std=gnu11 -g -O1 $(WARN) $(DEFS) $(INCS) -iquote tests/unit \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
UNIT_SRCS   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS   := $(patsubst tests/unit/%.c,$(B)/test/%,$(UNIT_SRCS))
HOST_OBJS   := $(patsubst %.c,$(HOST_OBJ)/%.o,$(COMMON_SRCS)) $(HOST_OBJ)/gen/schema_blob.o \
	$(HOST_OBJ)/tests/unit/testlib.o

$(HOST_OBJ)/%.o: %.c common/*.h applets/applets.h applets/applets.def tests/unit/testlib.h | $(HOST_LIBS)
	@mkdir -p $(@D)
	$(TEST_CC) $(TEST_CFLAGS) -c $< -o $@

$(HOST_OBJ)/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(TEST_CC) $(TEST_CFLAGS) -c $< -o $@

$(HOST_OBJ)/libegs_test.a: $(HOST_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/test/%: tests/unit/%.c $(HOST_OBJ)/libegs_test.a $(HOST_LIBS)
	@mkdir -p $(@D)
	$(TEST_CC) $(TEST_CFLAGS) -o $@ $< $(HOST_OBJ)/libegs_test.a $(HOST_LIBS)

unit: $(UNIT_BINS)

# ---- sanitizers: make test SAN=1 -------------------------------------------
# The unit tests above built with clang, plus $(B)/san/egs: common/ and
# applets/ with clang ASan+UBSan for glibc, linked with a glibc build of the
# embedded Dropbear ($(DEPS)/host/dropbear: dropbear.mk's own rules with
# the host compiler; Dropbear itself is not instrumented). The integration
# tests then drive $(B)/san/egs; sanitizer reports go to files in
# $(B)/san/report/ (not to the sessions' stderr) and any report fails the
# run. Tests that need the static musl binary itself check EGS_SAN=1.
SAN_DROPBEAR := $(DEPS)/host/dropbear/dropbear_embed.o
SAN_OBJS     := $(patsubst %.c,$(HOST_OBJ)/%.o,$(COMMON_SRCS) $(APPLET_SRCS)) \
	$(HOST_OBJ)/gen/schema_blob.o
SAN_REPORT   := $(abspath $(B))/san/report

# dropbear.mk's rules, run again with the host compiler into DEPS/host.
# In that sub-make DROPBEAR_EMBED is this same file and dropbear.mk's rule
# must be the one that builds it: without the guard this rule would
# override it and call itself forever.
ifneq ($(DROPBEAR_BUILD),$(DEPS)/host/dropbear)
$(SAN_DROPBEAR): $(DROPBEAR_SRC)/.stamp $(DROPBEAR_GLUE) $(wildcard vendor/dropbear/*.h) \
		vendor/dropbear/objs.mk vendor/dropbear/localoptions.h vendor/dropbear/dropbear.mk
	$(MAKE) --no-print-directory DROPBEAR_BUILD=$(DEPS)/host/dropbear MUSL_CC=$(HOST_CC) KHDR= $@
endif

$(B)/san/egs: $(SAN_OBJS) $(SAN_DROPBEAR) $(HOST_LIBS)
	@mkdir -p $(@D)
	clang -fsanitize=address,undefined -o $@.tmp $(SAN_OBJS) $(SAN_DROPBEAR) $(HOST_LIBS) -lm
	$@.tmp validate --self-check
	mv $@.tmp $@

# ---- valgrind: make valgrind ----------------------------------------------
# $(B)/vg/egs: common/ and applets/ with gcc -g -O1 for glibc (no
# sanitizer, so valgrind sees every allocation), linked with the same glibc
# Dropbear as $(B)/san/egs. tests/integration/test_valgrind.py runs a
# service session under valgrind --leak-check=full with it (make test
# builds it when valgrind is installed); tests/valgrind.supp holds the
# suppressions for upstream Dropbear paths, each with its reason.
VALGRIND  := $(shell command -v valgrind 2>/dev/null)
VG_CFLAGS := -std=gnu11 -g -O1 $(WARN) $(DEFS) $(INCS)
VG_OBJS   := $(patsubst %.c,$(B)/vg/obj/%.o,$(COMMON_SRCS) $(APPLET_SRCS)) \
	$(B)/vg/obj/gen/schema_blob.o

$(B)/vg/obj/%.o: %.c common/*.h applets/applets.h applets/applets.def | $(HOST_LIBS)
	@mkdir -p $(@D)
	$(HOST_CC) $(VG_CFLAGS) -c $< -o $@

$(B)/vg/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(VG_CFLAGS) -c $< -o $@

$(B)/vg/egs: $(VG_OBJS) $(SAN_DROPBEAR) $(HOST_LIBS)
	$(HOST_CC) -g -o $@.tmp $(VG_OBJS) $(SAN_DROPBEAR) $(HOST_LIBS) -lm
	$@.tmp validate --self-check
	mv $@.tmp $@

valgrind: deps $(B)/vg/egs
	EGS_VG=$(abspath $(B)/vg/egs) /usr/bin/python3 tests/integration/test_valgrind.py

ifeq ($(SAN),1)
test: deps unit $(B)/san/egs
	rm -rf $(SAN_REPORT) && mkdir -p $(SAN_REPORT)
	EGS=$(abspath $(B)/san/egs) EGS_SAN=1 EGS_E2E=0 EGS_BUILD=$(abspath $(B)) EGS_DEPS=$(abspath $(DEPS)) \
		ASAN_OPTIONS=log_path=$(SAN_REPORT)/asan:detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=log_path=$(SAN_REPORT)/ubsan:print_stacktrace=1:halt_on_error=1 \
		/usr/bin/python3 tests/run.py $(TESTS)
	@# LeakSanitizer notes such as "Unable to get registers from thread"
	@# (a thread exiting while it stops the world) are not findings
	@if [ -n "$$(ls -A $(SAN_REPORT))" ]; then head -n 60 $(SAN_REPORT)/*; \
		if grep -lE 'ERROR: |runtime error|SUMMARY: ' $(SAN_REPORT)/*; then \
			echo "sanitizer reports in $(SAN_REPORT)"; exit 1; fi; \
		echo "(sanitizer notes only, no findings)"; fi
else
test: deps all unit $(if $(VALGRIND),$(B)/vg/egs)
	EGS=$(abspath $(B)/egs) EGS_BUILD=$(abspath $(B)) EGS_DEPS=$(abspath $(DEPS)) \
		/usr/bin/python3 tests/run.py
endif

demo: deps all
	@tests/demo.sh $(abspath $(B)/egs)

# ---- guests: installer ISO, initramfs, QEMU e2e, boot bench ---------------
INITRAMFS_MODULES ?= vsock vmw_vsock_virtio_transport vsock_loopback virtio_pci \
	virtio_net virtio_blk isofs sr_mod ata_piix

iso: all
	iso/build.sh $(B)/egs $(VERSION) $(B)

initramfs: all
	initramfs/get-kernel.sh $(B)/kernel >/dev/null
	initramfs/build.sh --egs $(B)/egs --kernel-dir $(B)/kernel \
		--modules "$(INITRAMFS_MODULES)" --out $(B)/egs-initramfs.cpio.gz

e2e: all
	EGS=$(abspath $(B)/egs) EGS_BUILD=$(abspath $(B)) /usr/bin/python3 tests/run.py tests/e2e/

bench-memory: all
	EGS=$(abspath $(B)/egs) bench/memory.sh

# ---- fuzzing (clang libFuzzer): make fuzz FUZZ_SECONDS=N -------------------
# common/ is compiled once with coverage + ASan/UBSan into $(B)/fuzz/obj;
# each tests/fuzz/fuzz_NAME.c links against it. A run reads the committed
# seeds in tests/fuzz/corpus/NAME/ and adds what it finds to
# $(B)/fuzz/work-NAME/ (crash files land there too); its log is
# $(B)/fuzz/NAME.log. Targets run FUZZ_JOBS at a time (default: one per
# CPU); any crash, leak or timeout fails `make fuzz` with the log's tail.
# FUZZ=fuzz_a,fuzz_b limits the targets.
FUZZ_SECONDS ?= 30
FUZZ_JOBS    ?= $(shell nproc)
comma        := ,
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_ALL     := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_RUN     := $(if $(FUZZ),$(subst $(comma), ,$(FUZZ)),$(FUZZ_ALL))
FUZZ_BINS    := $(addprefix $(B)/fuzz/,$(FUZZ_RUN))
FUZZ_CFLAGS  := -std=gnu11 -g -O1 $(WARN) $(DEFS) $(INCS) -iquote tests/fuzz \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJS    := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(COMMON_SRCS)) $(B)/fuzz/obj/gen/schema_blob.o

$(B)/fuzz/obj/%.o: %.c common/*.h | $(HOST_LIBS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(B)/fuzz/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(B)/fuzz/libegs_fuzz.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/*.h $(B)/fuzz/libegs_fuzz.a $(HOST_LIBS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(B)/fuzz/libegs_fuzz.a $(HOST_LIBS) -lm

fuzz: deps $(FUZZ_BINS)
	tests/fuzz/run.sh $(B)/fuzz $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_RUN)

clean:
	rm -rf $(B)/musl $(B)/host $(B)/test $(B)/gen $(B)/egs $(B)/san $(B)/fuzz $(B)/vg

# Also forgets the fetched Debian sources (the next build downloads again).
distclean:
	rm -rf $(B) $(DEPS)
