/* The provisioning modules in run order: Debian 12's cloud.cfg
 * (cloud-init.md §1.2) with each module's stage, frequency and activation
 * keys, plus egs's own `egs` module at the end of the init stage. Modules
 * egs does not implement are listed too (same order, same semaphores as
 * cloud-init): they only log their keys as accepted but not applied.
 * Generated once by hand from the §1.2 table; edit in place. */
#include "prov.h"

#include <stddef.h>

extern const struct prov_module mod_bootcmd;
extern const struct prov_module mod_write_files;
extern const struct prov_module mod_set_hostname;
extern const struct prov_module mod_update_hostname;
extern const struct prov_module mod_update_etc_hosts;
extern const struct prov_module mod_users_groups;
extern const struct prov_module mod_ssh;
extern const struct prov_module mod_egs;
extern const struct prov_module mod_set_passwords;
extern const struct prov_module mod_timezone;
extern const struct prov_module mod_runcmd;
extern const struct prov_module mod_write_files_deferred;
extern const struct prov_module mod_scripts_vendor;
extern const struct prov_module mod_scripts_per_once;
extern const struct prov_module mod_scripts_per_boot;
extern const struct prov_module mod_scripts_per_instance;
extern const struct prov_module mod_scripts_user;
extern const struct prov_module mod_final_message;
extern const struct prov_module mod_power_state;

/* Logs every key of keys present in the config as not applied. */
static int not_applied(struct prov_ctx *ctx, const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++)
		if (ymap_get(ctx->cfg, keys[i]))
			prov_not_applied(ctx, keys[i]);
	return 0;
}

static const char *const keys_migrator[] = {NULL};
static int run_migrator(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_migrator);
}
static const struct prov_module stub_migrator = {
	.name = "migrator",
	.stage = STAGE_NETWORK,
	.freq = FREQ_ALWAYS,
	.activate_keys = NULL,
	.run = run_migrator,
};

static const char *const keys_seed_random[] = {"random_seed", NULL};
static int run_seed_random(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_seed_random);
}
static const struct prov_module stub_seed_random = {
	.name = "seed_random",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_seed_random,
};

static const char *const keys_growpart[] = {"growpart", NULL};
static int run_growpart(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_growpart);
}
static const struct prov_module stub_growpart = {
	.name = "growpart",
	.stage = STAGE_NETWORK,
	.freq = FREQ_ALWAYS,
	.activate_keys = NULL,
	.run = run_growpart,
};

static const char *const keys_resizefs[] = {"resize_rootfs", NULL};
static int run_resizefs(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_resizefs);
}
static const struct prov_module stub_resizefs = {
	.name = "resizefs",
	.stage = STAGE_NETWORK,
	.freq = FREQ_ALWAYS,
	.activate_keys = NULL,
	.run = run_resizefs,
};

static const char *const act_disk_setup[] = {"disk_setup", "fs_setup", NULL};
static const char *const keys_disk_setup[] = {"disk_setup", "fs_setup", "device_aliases", NULL};
static int run_disk_setup(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_disk_setup);
}
static const struct prov_module stub_disk_setup = {
	.name = "disk_setup",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_disk_setup,
	.run = run_disk_setup,
};

static const char *const keys_mounts[] = {"mounts", "mount_default_fields", "swap", NULL};
static int run_mounts(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_mounts);
}
static const struct prov_module stub_mounts = {
	.name = "mounts",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_mounts,
};

static const char *const act_ca_certs[] = {"ca_certs", "ca-certs", NULL};
static const char *const keys_ca_certs[] = {"ca_certs", "ca-certs", NULL};
static int run_ca_certs(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_ca_certs);
}
static const struct prov_module stub_ca_certs = {
	.name = "ca-certs",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_ca_certs,
	.run = run_ca_certs,
};

static const char *const act_rsyslog[] = {"rsyslog", NULL};
static const char *const keys_rsyslog[] = {"rsyslog", NULL};
static int run_rsyslog(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_rsyslog);
}
static const struct prov_module stub_rsyslog = {
	.name = "rsyslog",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_rsyslog,
	.run = run_rsyslog,
};

static const char *const act_snap[] = {"snap", NULL};
static const char *const keys_snap[] = {"snap", NULL};
static int run_snap(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_snap);
}
static const struct prov_module stub_snap = {
	.name = "snap",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_snap,
	.run = run_snap,
};

static const char *const keys_ssh_import_id[] = {"ssh_import_id", NULL};
static int run_ssh_import_id(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_ssh_import_id);
}
static const struct prov_module stub_ssh_import_id = {
	.name = "ssh-import-id",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_ssh_import_id,
};

static const char *const act_keyboard[] = {"keyboard", NULL};
static const char *const keys_keyboard[] = {"keyboard", NULL};
static int run_keyboard(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_keyboard);
}
static const struct prov_module stub_keyboard = {
	.name = "keyboard",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_keyboard,
	.run = run_keyboard,
};

static const char *const keys_locale[] = {"locale", "locale_configfile", NULL};
static int run_locale(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_locale);
}
static const struct prov_module stub_locale = {
	.name = "locale",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_locale,
};

static const char *const keys_grub_dpkg[] = {"grub_dpkg", "grub-dpkg", NULL};
static int run_grub_dpkg(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_grub_dpkg);
}
static const struct prov_module stub_grub_dpkg = {
	.name = "grub-dpkg",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_grub_dpkg,
};

static const char *const act_apt_pipelining[] = {"apt_pipelining", NULL};
static const char *const keys_apt_pipelining[] = {"apt_pipelining", NULL};
static int run_apt_pipelining(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_apt_pipelining);
}
static const struct prov_module stub_apt_pipelining = {
	.name = "apt-pipelining",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_apt_pipelining,
	.run = run_apt_pipelining,
};

static const char *const keys_apt_configure[] = {"apt", NULL};
static int run_apt_configure(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_apt_configure);
}
static const struct prov_module stub_apt_configure = {
	.name = "apt-configure",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_apt_configure,
};

static const char *const act_ntp[] = {"ntp", NULL};
static const char *const keys_ntp[] = {"ntp", NULL};
static int run_ntp(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_ntp);
}
static const struct prov_module stub_ntp = {
	.name = "ntp",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_ntp,
	.run = run_ntp,
};

static const char *const act_disable_ec2_metadata[] = {"disable_ec2_metadata", NULL};
static const char *const keys_disable_ec2_metadata[] = {"disable_ec2_metadata", NULL};
static int run_disable_ec2_metadata(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_disable_ec2_metadata);
}
static const struct prov_module stub_disable_ec2_metadata = {
	.name = "disable-ec2-metadata",
	.stage = STAGE_CONFIG,
	.freq = FREQ_ALWAYS,
	.activate_keys = act_disable_ec2_metadata,
	.run = run_disable_ec2_metadata,
};

static const char *const keys_byobu[] = {"byobu_by_default", NULL};
static int run_byobu(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_byobu);
}
static const struct prov_module stub_byobu = {
	.name = "byobu",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_byobu,
};

static const char *const act_package_update_upgrade_install[] = {"apt_update", "package_update", "apt_upgrade", "package_upgrade", "packages", NULL};
static const char *const keys_package_update_upgrade_install[] = {"apt_update", "package_update", "apt_upgrade", "package_upgrade", "packages", "package_reboot_if_required", "apt_reboot_if_required", NULL};
static int run_package_update_upgrade_install(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_package_update_upgrade_install);
}
static const struct prov_module stub_package_update_upgrade_install = {
	.name = "package-update-upgrade-install",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_package_update_upgrade_install,
	.run = run_package_update_upgrade_install,
};

static const char *const act_fan[] = {"fan", NULL};
static const char *const keys_fan[] = {"fan", NULL};
static int run_fan(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_fan);
}
static const struct prov_module stub_fan = {
	.name = "fan",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_fan,
	.run = run_fan,
};

static const char *const act_landscape[] = {"landscape", NULL};
static const char *const keys_landscape[] = {"landscape", NULL};
static int run_landscape(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_landscape);
}
static const struct prov_module stub_landscape = {
	.name = "landscape",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_landscape,
	.run = run_landscape,
};

static const char *const act_lxd[] = {"lxd", NULL};
static const char *const keys_lxd[] = {"lxd", NULL};
static int run_lxd(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_lxd);
}
static const struct prov_module stub_lxd = {
	.name = "lxd",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_lxd,
	.run = run_lxd,
};

static const char *const act_puppet[] = {"puppet", NULL};
static const char *const keys_puppet[] = {"puppet", NULL};
static int run_puppet(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_puppet);
}
static const struct prov_module stub_puppet = {
	.name = "puppet",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_puppet,
	.run = run_puppet,
};

static const char *const act_chef[] = {"chef", NULL};
static const char *const keys_chef[] = {"chef", NULL};
static int run_chef(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_chef);
}
static const struct prov_module stub_chef = {
	.name = "chef",
	.stage = STAGE_FINAL,
	.freq = FREQ_ALWAYS,
	.activate_keys = act_chef,
	.run = run_chef,
};

static const char *const act_mcollective[] = {"mcollective", NULL};
static const char *const keys_mcollective[] = {"mcollective", NULL};
static int run_mcollective(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_mcollective);
}
static const struct prov_module stub_mcollective = {
	.name = "mcollective",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_mcollective,
	.run = run_mcollective,
};

static const char *const act_salt_minion[] = {"salt_minion", NULL};
static const char *const keys_salt_minion[] = {"salt_minion", NULL};
static int run_salt_minion(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_salt_minion);
}
static const struct prov_module stub_salt_minion = {
	.name = "salt-minion",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_salt_minion,
	.run = run_salt_minion,
};

static const char *const keys_reset_rmc[] = {NULL};
static int run_reset_rmc(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_reset_rmc);
}
static const struct prov_module stub_reset_rmc = {
	.name = "reset_rmc",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_reset_rmc,
};

static const char *const keys_refresh_rmc_and_interface[] = {NULL};
static int run_refresh_rmc_and_interface(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_refresh_rmc_and_interface);
}
static const struct prov_module stub_refresh_rmc_and_interface = {
	.name = "refresh_rmc_and_interface",
	.stage = STAGE_FINAL,
	.freq = FREQ_ALWAYS,
	.activate_keys = NULL,
	.run = run_refresh_rmc_and_interface,
};

static const char *const keys_rightscale_userdata[] = {NULL};
static int run_rightscale_userdata(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_rightscale_userdata);
}
static const struct prov_module stub_rightscale_userdata = {
	.name = "rightscale_userdata",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_rightscale_userdata,
};

static const char *const keys_ssh_authkey_fingerprints[] = {"no_ssh_fingerprints", "authkey_hash", NULL};
static int run_ssh_authkey_fingerprints(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_ssh_authkey_fingerprints);
}
static const struct prov_module stub_ssh_authkey_fingerprints = {
	.name = "ssh-authkey-fingerprints",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_ssh_authkey_fingerprints,
};

static const char *const keys_keys_to_console[] = {"ssh_fp_console_blacklist", "ssh_key_console_blacklist", NULL};
static int run_keys_to_console(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_keys_to_console);
}
static const struct prov_module stub_keys_to_console = {
	.name = "keys-to-console",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_keys_to_console,
};

static const char *const keys_install_hotplug[] = {"updates", NULL};
static int run_install_hotplug(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_install_hotplug);
}
static const struct prov_module stub_install_hotplug = {
	.name = "install-hotplug",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_install_hotplug,
};

static const char *const act_phone_home[] = {"phone_home", NULL};
static const char *const keys_phone_home[] = {"phone_home", NULL};
static int run_phone_home(struct prov_ctx *ctx, struct strbuf *err)
{
	(void)err;
	return not_applied(ctx, keys_phone_home);
}
static const struct prov_module stub_phone_home = {
	.name = "phone-home",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_phone_home,
	.run = run_phone_home,
};

const struct prov_module *const prov_modules[] = {
	&stub_migrator,
	&stub_seed_random,
	&mod_bootcmd,
	&mod_write_files,
	&stub_growpart,
	&stub_resizefs,
	&stub_disk_setup,
	&stub_mounts,
	&mod_set_hostname,
	&mod_update_hostname,
	&mod_update_etc_hosts,
	&stub_ca_certs,
	&stub_rsyslog,
	&mod_users_groups,
	&mod_ssh,
	&mod_egs,
	&stub_snap,
	&stub_ssh_import_id,
	&stub_keyboard,
	&stub_locale,
	&mod_set_passwords,
	&stub_grub_dpkg,
	&stub_apt_pipelining,
	&stub_apt_configure,
	&stub_ntp,
	&mod_timezone,
	&stub_disable_ec2_metadata,
	&mod_runcmd,
	&stub_byobu,
	&stub_package_update_upgrade_install,
	&stub_fan,
	&stub_landscape,
	&stub_lxd,
	&mod_write_files_deferred,
	&stub_puppet,
	&stub_chef,
	&stub_mcollective,
	&stub_salt_minion,
	&stub_reset_rmc,
	&stub_refresh_rmc_and_interface,
	&stub_rightscale_userdata,
	&mod_scripts_vendor,
	&mod_scripts_per_once,
	&mod_scripts_per_boot,
	&mod_scripts_per_instance,
	&mod_scripts_user,
	&stub_ssh_authkey_fingerprints,
	&stub_keys_to_console,
	&stub_install_hotplug,
	&stub_phone_home,
	&mod_final_message,
	&mod_power_state,
};
const size_t prov_module_count = sizeof(prov_modules) / sizeof(prov_modules[0]);
