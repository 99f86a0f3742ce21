# zlib from Debian's source package: the library sources compiled directly.
ZLIB_SRC := $(DEPS)/src/zlib
ZLIB_FILES = $(addprefix $(ZLIB_SRC)/,adler32.c crc32.c deflate.c infback.c inffast.c \
	inflate.c inftrees.c trees.c zutil.c compress.c uncompr.c gzclose.c gzlib.c gzread.c gzwrite.c)

$(ZLIB_SRC)/.stamp: vendor/zlib/VERSION vendor/fetch.sh
	vendor/fetch.sh vendor/zlib $(DEPS)/cache/zlib $(ZLIB_SRC)
	touch $@

$(DEPS)/musl/zlib/libz.a: $(ZLIB_SRC)/.stamp | musl-check
	$(call build_archive,$(MUSL_CC),-O2 -w -D_LARGEFILE64_SOURCE=1 -DHAVE_HIDDEN,$(ZLIB_FILES),$@)

$(DEPS)/host/zlib/libz.a: $(ZLIB_SRC)/.stamp
	$(call build_archive,$(HOST_CC),-O2 -g -fPIC -w -D_LARGEFILE64_SOURCE=1 -DHAVE_HIDDEN,$(ZLIB_FILES),$@)

ZLIB_INC := -I$(ZLIB_SRC)
