# libyaml from Debian's source package: its 8 src/*.c files compiled
# directly (the git-tree source has no configure).
LIBYAML_SRC := $(DEPS)/src/libyaml
LIBYAML_DEFS := -DYAML_VERSION_MAJOR=0 -DYAML_VERSION_MINOR=2 -DYAML_VERSION_PATCH=5 \
	-DYAML_VERSION_STRING='"0.2.5"' -DYAML_DECLARE_STATIC

$(LIBYAML_SRC)/.stamp: vendor/libyaml/VERSION vendor/fetch.sh
	vendor/fetch.sh vendor/libyaml $(DEPS)/cache/libyaml $(LIBYAML_SRC)
	touch $@

# $(call build_archive,CC,CFLAGS,SRCDIR-FILES,OUT.a)
define build_archive
	rm -rf $(@D)/obj && mkdir -p $(@D)/obj
	for f in $(3); do \
		$(1) $(2) -c $$f -o $(@D)/obj/$$(basename $$f .c).o || exit 1; done
	rm -f $(4) && ar rcs $(4) $(@D)/obj/*.o
endef

$(DEPS)/musl/libyaml/libyaml.a: $(LIBYAML_SRC)/.stamp | musl-check
	$(call build_archive,$(MUSL_CC),-O2 -w $(LIBYAML_DEFS) -I$(LIBYAML_SRC)/include,$(LIBYAML_SRC)/src/*.c,$@)

$(DEPS)/host/libyaml/libyaml.a: $(LIBYAML_SRC)/.stamp
	$(call build_archive,$(HOST_CC),-O2 -g -fPIC -w $(LIBYAML_DEFS) -I$(LIBYAML_SRC)/include,$(LIBYAML_SRC)/src/*.c,$@)

LIBYAML_INC := -I$(LIBYAML_SRC)/include $(LIBYAML_DEFS)
