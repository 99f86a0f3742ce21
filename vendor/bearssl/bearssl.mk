# BearSSL from Debian's source package: built twice, with musl-gcc for the
# product and with the host compiler for unit tests and sanitizer builds.
BEARSSL_SRC := $(DEPS)/src/bearssl

$(BEARSSL_SRC)/.stamp: vendor/bearssl/VERSION vendor/fetch.sh
	vendor/fetch.sh vendor/bearssl $(DEPS)/cache/bearssl $(BEARSSL_SRC)
	touch $@

# BearSSL's own Makefile; BUILD names the output dir, CC the compiler.
$(DEPS)/musl/bearssl/libbearssl.a: $(BEARSSL_SRC)/.stamp | musl-check
	$(MAKE) -s -C $(BEARSSL_SRC) lib BUILD=$(abspath $(@D)) CC=$(MUSL_CC) \
		CFLAGS="-W -Wall -O2 -fno-pie" DLL=no TOOLS=no TESTS=no
	@test -f $@

$(DEPS)/host/bearssl/libbearssl.a: $(BEARSSL_SRC)/.stamp
	$(MAKE) -s -C $(BEARSSL_SRC) lib BUILD=$(abspath $(@D)) CC=$(HOST_CC) \
		CFLAGS="-W -Wall -O2 -fPIC" DLL=no TOOLS=no TESTS=no
	@test -f $@

BEARSSL_INC := -I$(BEARSSL_SRC)/inc
