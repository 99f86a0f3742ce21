# Dropbear 2022.83 from Debian's source package (Debian's patches, then
# vendor/dropbear/patches/*.patch), built with musl-gcc and prelinked into
# one object whose only global symbols are the entry points egs calls
# (see vendor/dropbear/egs_hooks.h). Everything else in Dropbear (list_new,
# m_burn, ses, ...) becomes local, so it cannot collide with egs's names.
DROPBEAR_SRC       := $(DEPS)/src/dropbear
DROPBEAR_BUILD     := $(DEPS)/musl/dropbear
DROPBEAR_EMBED     := $(DROPBEAR_BUILD)/dropbear_embed.o
DROPBEAR_EMBED_INC := vendor/dropbear
DROPBEAR_PATCHES   := $(sort $(wildcard vendor/dropbear/patches/*.patch))
# Our own files compiled against Dropbear's internals (not patches). They
# may include egs's common/ headers (searched last, so Dropbear's own
# headers win a name clash); the code behind those is linked into egs.
DROPBEAR_GLUE      := $(sort $(wildcard vendor/dropbear/*.c))
DROPBEAR_GLUE_DEPS := common/cpufeat.h common/sha256_x86.h common/poly1305.h common/chacha20_avx2.h
DROPBEAR_EXPORTS   := egs_dropbear_serve egs_dropbear_version
DROPBEAR_CFLAGS    := -O2 -W -Wall -Wno-pointer-sign -fno-strict-overflow -Wno-unused-parameter \
	-ffunction-sections -fdata-sections

$(DROPBEAR_SRC)/.stamp: vendor/dropbear/VERSION vendor/fetch.sh $(DROPBEAR_PATCHES)
	vendor/fetch.sh vendor/dropbear $(DEPS)/cache/dropbear $(DROPBEAR_SRC)
	touch $@

# configure only produces config.h and the Makefile for this one target
# (static musl x86_64); its checks take a few seconds.
$(DROPBEAR_BUILD)/Makefile: $(DROPBEAR_SRC)/.stamp vendor/dropbear/localoptions.h \
		$(DEPS)/musl/bearssl/libbearssl.a | musl-check
	rm -rf $(DROPBEAR_BUILD) && mkdir -p $(DROPBEAR_BUILD)
	cp vendor/dropbear/localoptions.h $(DROPBEAR_BUILD)/
	cd $(DROPBEAR_BUILD) && CC=$(MUSL_CC) CFLAGS="$(DROPBEAR_CFLAGS)" \
		CPPFLAGS="-I$(abspath $(BEARSSL_SRC)/inc) -I$(abspath vendor/dropbear) $(KHDR)" \
		$(abspath $(DROPBEAR_SRC))/configure --enable-static --disable-harden --disable-zlib \
		--enable-bundled-libtom --disable-lastlog --disable-utmp --disable-utmpx \
		--disable-wtmp --disable-wtmpx --disable-pututline --disable-pututxline \
		--disable-loginfunc --disable-syslog >configure.log 2>&1 || \
		{ tail -n 20 configure.log; echo "dropbear configure failed: $(DROPBEAR_BUILD)/configure.log"; exit 1; }

$(DROPBEAR_EMBED): $(DROPBEAR_BUILD)/Makefile $(DROPBEAR_GLUE) $(wildcard vendor/dropbear/*.h) \
		$(DROPBEAR_GLUE_DEPS) vendor/dropbear/objs.mk
	$(MAKE) -s -C $(DROPBEAR_BUILD) -f Makefile -f $(abspath vendor/dropbear/objs.mk) \
		PROGRAMS=dropbear MULTI=1 egs-objs
	for f in $(DROPBEAR_GLUE); do \
		$(MUSL_CC) $(DROPBEAR_CFLAGS) -DLOCALOPTIONS_H_EXISTS -DDROPBEAR_SERVER \
		-DDROPBEAR_MULTI -DDBMULTI_dropbear -I$(DROPBEAR_BUILD) -I$(DROPBEAR_SRC) \
		-I$(DROPBEAR_SRC)/libtomcrypt/src/headers -I$(BEARSSL_SRC)/inc -Ivendor/dropbear \
		-idirafter common $(KHDR) \
		-c $$f -o $(DROPBEAR_BUILD)/glue-$$(basename $$f .c).o || exit 1; done
	cd $(DROPBEAR_BUILD) && ld -r -o dropbear_all.o $$(cat egs-objs.list) glue-*.o
	objcopy $(addprefix --keep-global-symbol=,$(DROPBEAR_EXPORTS)) \
		$(DROPBEAR_BUILD)/dropbear_all.o $@
