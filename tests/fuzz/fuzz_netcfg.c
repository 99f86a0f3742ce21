/* libFuzzer target: network-config v1/v2 (YAML → struct netcfg) and the
 * pure renderers (systemd-networkd .network/.link, ifupdown). Resolution
 * runs against a directory that does not exist, which matches nothing,
 * so no file system state leaks between inputs. */
#include <stddef.h>
#include <stdint.h>

#include "netcfg.h"
#include "strbuf.h"
#include "yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_error yerr = {0};
	struct ydoc *doc = yaml_load((const char *)data, size, "network-config", &yerr);
	if (!doc) {
		yaml_error_free(&yerr);
		return 0;
	}
	struct netcfg cfg;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	if (netcfg_parse(ydoc_root(doc), &cfg, &err) == 0 &&
	    netcfg_resolve(&cfg, "/nonexistent/egs-fuzz/sys/class/net") == 0) {
		for (size_t i = 0; i < cfg.nifaces; i++) {
			(void)netcfg_render_networkd(&cfg, &cfg.ifaces[i], &out);
			sb_reset(&out);
			(void)netcfg_render_networkd_link(&cfg.ifaces[i], &out);
			sb_reset(&out);
		}
		(void)netcfg_render_eni(&cfg, &out);
	}
	netcfg_free(&cfg);
	sb_free(&out);
	sb_free(&err);
	ydoc_free(doc);
	return 0;
}
