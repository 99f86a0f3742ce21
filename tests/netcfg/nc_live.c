/* Test driver: applies a network-config file to the running system the
 * way netcfg_apply does on a guest without networkd or ifupdown (parse,
 * resolve against /sys/class/net, netcfg_live with root "/"), and prints
 * "ok" or "error: REASON" (exit 0 / 1); the entries netcfg_apply would log
 * as not applied go to stderr as "not applied: ENTRY".
 *   nc_live FILE
 * Only ever run by tests/integration/test_netlink.py INSIDE a network
 * namespace it created, with a private tmpfs on /etc (resolv.conf). */
#include <stdio.h>

#include "fsutil.h"
#include "netcfg.h"
#include "yaml.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: nc_live FILE\n");
		return 2;
	}
	struct strbuf in = STRBUF_INIT, err = STRBUF_INIT;
	if (fs_read_file(argv[1], &in, 0) < 0) {
		perror(argv[1]);
		return 2;
	}
	struct yaml_error ye = {0};
	struct ydoc *d = yaml_load(sb_str(&in), in.len, NULL, &ye);
	if (!d) {
		printf("error: yaml: %s\n", ye.message);
		yaml_error_free(&ye);
		return 1;
	}
	struct netcfg cfg;
	struct prov_ctx ctx = {.root = "/"};
	int rc = netcfg_parse(ydoc_root(d), &cfg, &err);
	for (size_t i = 0; rc == 0 && cfg.skipped[i]; i++)
		fprintf(stderr, "not applied: %s\n", cfg.skipped[i]);
	if (rc == 0)
		rc = netcfg_resolve(&cfg, "/sys/class/net");
	if (rc == 0)
		rc = netcfg_live(&ctx, &cfg, &err);
	if (rc == 0)
		printf("ok\n");
	else
		printf("error: %s\n", sb_str(&err));
	netcfg_free(&cfg);
	ydoc_free(d);
	sb_free(&in);
	sb_free(&err);
	return rc == 0 ? 0 : 1;
}
