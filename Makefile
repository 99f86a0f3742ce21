# egs: Eryph Guest Services as one static multicall binary.
#
#   make            fetch + verify + build the dependencies, then build/egs
#   make test       build everything and run unit + integration tests
#   make demo       show the main job end to end
#   make deps       only the dependency pipeline (Debian source packages)
#   make SAN=1 test sanitizer build of our code (clang ASan+UBSan, glibc)
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
	iso initramfs e2e bench fuzz
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
TEST_CC := clang
else
TEST_CC := $(HOST_CC)
endif
TEST_CFLAGS := -std=gnu11 -g -O1 $(WARN) $(DEFS) $(INCS) -iquote tests/unit \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
UNIT_SRCS   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS   := $(patsubst tests/unit/%.c,$(B)/test/%,$(UNIT_SRCS))
HOST_OBJS   := $(patsubst %.c,$(B)/host/%.o,$(COMMON_SRCS)) $(B)/host/gen/schema_blob.o \
	$(B)/host/tests/unit/testlib.o

$(B)/host/%.o: %.c common/*.h tests/unit/testlib.h | $(HOST_LIBS)
	@mkdir -p $(@D)
	$(TEST_CC) $(TEST_CFLAGS) -c $< -o $@

$(B)/host/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(TEST_CC) $(TEST_CFLAGS) -c $< -o $@

$(B)/host/libegs_test.a: $(HOST_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/test/%: tests/unit/%.c $(B)/host/libegs_test.a $(HOST_LIBS)
	@mkdir -p $(@D)
	$(TEST_CC) $(TEST_CFLAGS) -o $@ $< $(B)/host/libegs_test.a $(HOST_LIBS)

unit: $(UNIT_BINS)

test: deps all unit
	EGS=$(abspath $(B)/egs) EGS_BUILD=$(abspath $(B)) EGS_DEPS=$(abspath $(DEPS)) \
		/usr/bin/python3 tests/run.py

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
	EGS=$(abspath $(B)/egs) /usr/bin/python3 tests/e2e/test_boot.py

# ---- fuzzing (clang libFuzzer): make fuzz FUZZ_SECONDS=N -------------------
FUZZ_SECONDS ?= 30
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS  := -std=gnu11 -g -O1 $(DEFS) $(INCS) -fsanitize=fuzzer,address,undefined

$(B)/fuzz/%: tests/fuzz/%.c $(COMMON_SRCS) $(B)/gen/schema_blob.c $(HOST_LIBS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(COMMON_SRCS) $(B)/gen/schema_blob.c $(HOST_LIBS) -lm

fuzz: deps $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
		mkdir -p $(B)/fuzz/work-$$name; \
		echo "== $$name ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 $(B)/fuzz/work-$$name \
			$$( [ -d $$corpus ] && echo $$corpus ) 2>&1 | tail -n 3 || exit 1; done

clean:
	rm -rf $(B)/musl $(B)/host $(B)/test $(B)/gen $(B)/egs

# Also forgets the fetched Debian sources (the next build downloads again).
distclean:
	rm -rf $(B) $(DEPS)
