/* The top-level keys the egs provisioning agent applies (see
 * validate_target.h). Keep in step with the modules of issue 6. */
#include "validate_target.h"

#include <string.h>

static const char *const applied[] = {
	"write_files", "users", "groups", "chpasswd", "password", "ssh_pwauth",
	"ssh_authorized_keys", "disable_root", "hostname", "fqdn",
	"prefer_fqdn_over_hostname", "preserve_hostname", "manage_etc_hosts",
	"bootcmd", "runcmd", "timezone", "final_message", "power_state", "egs",
	"merge_how", "merge_type",
};

int validate_target_known(const char *target)
{
	return !strcmp(target, "windows") || !strcmp(target, "linux") || !strcmp(target, "all") ||
	       !strcmp(target, "egs");
}

int validate_target_checks(const char *target)
{
	return !strcmp(target, "linux") || !strcmp(target, "egs");
}

int validate_target_applies(const char *key)
{
	for (size_t i = 0; i < sizeof(applied) / sizeof(applied[0]); i++)
		if (!strcmp(applied[i], key))
			return 1;
	return 0;
}
