# cloud-init's JSON schemas (cloudinit/config/schemas/*.json) from Debian's
# source package; egs validate embeds schema-cloud-config-v1.json.
CLOUDINIT_SRC := $(DEPS)/src/cloud-init
CLOUDINIT_SCHEMA := $(DEPS)/cloud-init/schema-cloud-config-v1.json

$(CLOUDINIT_SRC)/.stamp: vendor/cloud-init/VERSION vendor/fetch.sh
	vendor/fetch.sh vendor/cloud-init $(DEPS)/cache/cloud-init $(CLOUDINIT_SRC)
	touch $@

$(CLOUDINIT_SCHEMA): $(CLOUDINIT_SRC)/.stamp
	mkdir -p $(@D)
	cp $(CLOUDINIT_SRC)/cloudinit/config/schemas/*.json $(@D)/
	@test -f $@
