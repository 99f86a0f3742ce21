/* common/mod_ssh.c and common/mod_egs.c on a --root tree
 * (cloud-init.md §4.4; egs-compat §13.1, §7). */
#include "flags.h"
#include "provtest.h"
#include "testlib.h"

extern const struct prov_module mod_ssh, mod_users_groups, mod_egs;

#define META "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMetaKeyMetaKeyMetaKeyMetaKeyMetaKey00 meta@ds"
#define CFGKEY "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCfgkey cfg@x"
#define PREFIX(u) "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user \\\"" u "\\\" rather than the user \\\"root\\\".';echo;sleep 10;exit 142\" "

static void run_ok(struct pt *t, const struct prov_module *m)
{
	char *err;
	CHECK_INT(pt_run(t, m, &err), 0);
	CHECK_STR(err, "");
	free(err);
}

static void test_ssh(void)
{
	t_group("ssh: default user and root keys, disable_root");
	struct pt t;
	CHECK_INT(pt_init(&t, "ssh_authorized_keys: ['" CFGKEY "', '" META "']\nssh_deletekeys: true\n"), 0);
	/* an existing root file: other lines kept, the same key replaced */
	CHECK_INT(pt_put(&t, "/root/.ssh/authorized_keys", "# mine\n" CFGKEY " old-comment\nssh-ed25519 AAAAother keep\n", 0644), 0);
	run_ok(&t, &mod_users_groups);
	run_ok(&t, &mod_ssh);
	char *d = pt_read(&t, "/home/debian/.ssh/authorized_keys");
	CHECK_STR(d, META "\n" CFGKEY "\n");
	free(d);
	struct stat st = pt_stat(&t, "/home/debian/.ssh/authorized_keys");
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_uid, 1000);
	char *r = pt_read(&t, "/root/.ssh/authorized_keys");
	CHECK_STR(r, "# mine\n" PREFIX("debian") CFGKEY "\nssh-ed25519 AAAAother keep\n" PREFIX("debian") META "\n");
	free(r);
	CHECK_INT(pt_stat(&t, "/root/.ssh/authorized_keys").st_mode & 07777, 0644); /* mode kept */
	pt_free(&t);

	/* no default user: root's prefix names NONE */
	CHECK_INT(pt_init(&t, "users: []\n"), 0);
	run_ok(&t, &mod_ssh);
	r = pt_read(&t, "/root/.ssh/authorized_keys");
	CHECK_STR(r, PREFIX("NONE") META "\n");
	free(r);
	st = pt_stat(&t, "/root/.ssh");
	CHECK_INT(st.st_mode & 07777, 0700);
	pt_free(&t);

	/* disable_root: false gives the plain keys; allow_public_ssh_keys: false drops the meta key */
	CHECK_INT(pt_init(&t, "users: []\ndisable_root: false\nallow_public_ssh_keys: false\n"
	                      "ssh_authorized_keys: ['" CFGKEY "']\n"), 0);
	run_ok(&t, &mod_ssh);
	r = pt_read(&t, "/root/.ssh/authorized_keys");
	CHECK_STR(r, CFGKEY "\n");
	free(r);
	pt_free(&t);

	/* the default user missing (users_groups did not run): logged, not a failure */
	CHECK_INT(pt_init(&t, "{}\n"), 0);
	run_ok(&t, &mod_ssh);
	CHECK_INT(pt_stat(&t, "/root/.ssh/authorized_keys").st_mode, 0);
	pt_free(&t);
}

static void test_egs(void)
{
	t_group("egs: service-control.conf");
	struct pt t;
	CHECK_INT(pt_init(&t, "egs:\n  settings:\n    remote_access: false\n    port_forwarding: true\n"
	                      "  update: {enabled: true}\n"), 0);
	CHECK_INT(pt_put(&t, "/etc/opt/eryph/guest-services/service-control.conf",
	                 "# keep me\n  remoteaccessenabled = 1\nAutoUpdateEnabled=0\n", 0600), 0);
	run_ok(&t, &mod_egs);
	char *c = pt_read(&t, "/etc/opt/eryph/guest-services/service-control.conf");
	CHECK_STR(c, "# keep me\nRemoteAccessEnabled=false\nAutoUpdateEnabled=0\nPortForwardingEnabled=true\n");
	struct egs_flags f;
	flags_parse(c, strlen(c), &f);
	CHECK_INT(f.remote_access, 0);
	CHECK_INT(f.port_forwarding, 1);
	CHECK_INT(f.auto_update, 0);
	CHECK_INT(f.kvp_auth, 1);
	free(c);
	CHECK_INT(pt_stat(&t, "/etc/opt/eryph/guest-services/service-control.conf").st_mode & 07777, 0600);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "egs: {settings: {kvp_auth: false, provisioning: true}}\n"), 0);
	run_ok(&t, &mod_egs);
	c = pt_read(&t, "/etc/opt/eryph/guest-services/service-control.conf");
	CHECK_STR(c, "KvpAuthEnabled=false\nProvisioningEnabled=true\n");
	free(c);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "egs: {settings: {kvp_auth: 'off'}}\n"), 0);
	char *err;
	CHECK_INT(pt_run(&t, &mod_egs, &err), -1);
	CHECK(strstr(err, "egs.settings.kvp_auth") != NULL);
	free(err);
	CHECK_INT(pt_stat(&t, "/etc/opt/eryph/guest-services/service-control.conf").st_mode, 0);
	pt_free(&t);
}

int main(void)
{
	test_ssh();
	test_egs();
	return t_done();
}
