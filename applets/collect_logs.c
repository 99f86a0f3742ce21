/* egs collect-logs: Bundle provisioning state, logs and scripts into a zip for support
 * Placeholder until issue 6 lands: --help works, everything else exits 2. */
#include "applets.h"
#include "cli.h"

#include <stdio.h>

static const char usage[] =
	"Usage: egs collect-logs [OUTPUT.zip] [--state-dir DIR]\n"
	"\n"
	"Bundle provisioning state, logs and scripts into a zip for support.\n"
	"(Not implemented yet: arrives with issue 6.)\n";

int collect_logs_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return cli_not_implemented("collect-logs", "issue 6");
}
