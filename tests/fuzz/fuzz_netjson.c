/* libFuzzer target: OpenStack network_data.json -> network-config v1
 * (common/netcfg_netjson.c), then the v1 parser on the result, as a
 * ConfigDrive's network data goes. No interfaces (a missing sysnet). */
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "log.h"
#include "netcfg.h"
#include "strbuf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_open(NULL, 0, LOG_FTL); /* not-applied notes are logged per input */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_error ye = {0};
	struct ydoc *nj = json_parse((const char *)data, size, &ye);
	if (!nj) {
		yaml_error_free(&ye);
		return 0;
	}
	struct strbuf err = STRBUF_INIT;
	struct ydoc *v1 = netcfg_from_netjson(ydoc_root(nj), "/nonexistent/sys/class/net", "f", &err);
	if (v1) {
		struct netcfg cfg;
		(void)netcfg_parse(ydoc_root(v1), &cfg, &err);
		netcfg_free(&cfg);
		ydoc_free(v1);
	}
	sb_free(&err);
	ydoc_free(nj);
	return 0;
}
