/* libFuzzer target: service-control.conf and shell.conf (KEY=VALUE files
 * in the config directory). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "flags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct egs_flags f;
	flags_parse(text, size, &f);
	struct shell_conf sc;
	if (shell_conf_parse(text, size, &sc) == 0)
		shell_conf_free(&sc);
	char *v = conf_get(text, size, "RemoteAccessEnabled");
	(void)conf_flag_value(v, 1);
	free(v);
	return 0;
}
