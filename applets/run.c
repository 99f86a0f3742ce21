/* egs run: provision this guest from cloud-init user-data
 * (common/prov_run.h; docs/provisioning.md). */
#include "applets.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "prov_run.h"

static const char usage[] =
	"Usage: egs run [OPTIONS]\n"
	"\n"
	"Provision this guest from cloud-init user-data (NoCloud, ConfigDrive) the\n"
	"way cloud-init 22.4 does: stages local, network, config, final.\n"
	"\n"
	"  --stage local|network|config|final  run only this stage\n"
	"  --dry-run              print every action, change nothing\n"
	"  --root DIR             provision the tree DIR instead of /\n"
	"  --state-dir DIR        cloud-init state (default ROOT/var/lib/cloud)\n"
	"  --run-dir DIR          run state (default ROOT/run/cloud-init)\n"
	"  --user-data PATH       use this user-data instead of a datasource\n"
	"  --instance-id ID       instance-id for --user-data (default cli-override-<8 hex>)\n"
	"  --datasource NAME      only NoCloud or ConfigDrive\n"
	"  --seed-device PATH     also probe this device or image file (repeatable)\n"
	"  --cmdline-file FILE    kernel command line (default /proc/cmdline when ROOT is /)\n"
	"  --dmi-serial-file FILE SMBIOS serial (default /sys/class/dmi/id/product_serial)\n"
	"  --sys-block DIR        block devices to scan (default /sys/class/block when ROOT is /)\n"
	"  --boot-id-file FILE    boot id (default /proc/sys/kernel/random/boot_id)\n"
	"  --kvp-dir DIR          Hyper-V KVP pools (default ROOT/var/lib/hyperv; '' for none)\n"
	"  --no-reboot            never reboot or power off when a module asks for it\n"
	"  -v, --verbose          debug log on stderr\n"
	"\n"
	"Exit status: 0 done, nothing to do, reboot requested or cloud-init in\n"
	"charge; 1 a stage failed; 2 bad arguments or unreadable --user-data.\n";

static int parse_stage(const char *s)
{
	static const char *const names[] = {"local", "network", "config", "final"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -2;
}

int run_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	enum { O_STAGE = 256, O_DRY, O_ROOT, O_STATE, O_RUN, O_UD, O_IID, O_DS, O_DEV, O_CMD,
	       O_DMI, O_SYS, O_BOOT, O_KVP, O_NOREBOOT };
	static const struct option opts[] = {
		{"stage", required_argument, 0, O_STAGE}, {"dry-run", no_argument, 0, O_DRY},
		{"root", required_argument, 0, O_ROOT}, {"state-dir", required_argument, 0, O_STATE},
		{"run-dir", required_argument, 0, O_RUN}, {"user-data", required_argument, 0, O_UD},
		{"instance-id", required_argument, 0, O_IID},
		{"datasource", required_argument, 0, O_DS},
		{"seed-device", required_argument, 0, O_DEV},
		{"cmdline-file", required_argument, 0, O_CMD},
		{"dmi-serial-file", required_argument, 0, O_DMI},
		{"sys-block", required_argument, 0, O_SYS},
		{"boot-id-file", required_argument, 0, O_BOOT},
		{"kvp-dir", required_argument, 0, O_KVP}, {"no-reboot", no_argument, 0, O_NOREBOOT},
		{"verbose", no_argument, 0, 'v'}, {0, 0, 0, 0}};
	struct prov_run_opts o;
	memset(&o, 0, sizeof(o));
	o.root = "/";
	o.stage = -1;
	const char *devs[17] = {0};
	int ndevs = 0, verbose = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case O_STAGE:
			o.stage = parse_stage(optarg);
			if (o.stage < -1) {
				fprintf(stderr, "egs run: unknown stage '%s' (local, network, config, final)\n",
				        optarg);
				return 2;
			}
			break;
		case O_DRY: o.dry_run = 1; break;
		case O_ROOT: o.root = optarg; break;
		case O_STATE: o.state_dir = optarg; break;
		case O_RUN: o.run_dir = optarg; break;
		case O_UD: o.ds.user_data_path = optarg; break;
		case O_IID: o.ds.instance_id = optarg; break;
		case O_DS:
			if (strcmp(optarg, "NoCloud") && strcmp(optarg, "ConfigDrive")) {
				fprintf(stderr, "egs run: unknown datasource '%s' (NoCloud, ConfigDrive)\n", optarg);
				return 2;
			}
			o.ds.only = optarg;
			break;
		case O_DEV:
			if (ndevs == 16) {
				fputs("egs run: at most 16 --seed-device\n", stderr);
				return 2;
			}
			devs[ndevs++] = optarg;
			break;
		case O_CMD: o.ds.cmdline_file = optarg; break;
		case O_DMI: o.ds.dmi_serial_file = optarg; break;
		case O_SYS: o.ds.sys_block = optarg; break;
		case O_BOOT: o.boot_id_file = optarg; break;
		case O_KVP: o.kvp_dir = optarg; break;
		case O_NOREBOOT: o.no_reboot = 1; break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "egs run: bad option '%s'\n\n%s", argv[optind - 1], usage);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "egs run: unexpected argument '%s'\n\n%s", argv[optind], usage);
		return 2;
	}
	if (o.ds.user_data_path && access(o.ds.user_data_path, R_OK) != 0) {
		fprintf(stderr, "egs run: cannot read --user-data %s\n", o.ds.user_data_path);
		return 2;
	}
	o.ds.seed_devices = devs;
	log_open(NULL, 1, verbose ? LOG_DBG : LOG_WRN);
	struct strbuf msg = STRBUF_INIT;
	int rc = prov_run_stages(&o, &msg);
	fflush(stdout);
	printf("%s\n", sb_str(&msg));
	sb_free(&msg);
	log_close();
	return rc;
}
