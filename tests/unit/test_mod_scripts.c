/* common/mod_scripts.c and common/shellify.c (cloud-init.md §4.6-§4.8,
 * egs-compat §13.5). Scripts run chrooted in the test's --root tree with
 * a static busybox as /bin/sh; without /usr/bin/busybox those checks are
 * skipped. */
#include "provtest.h"
#include "shellify.h"
#include "testlib.h"

extern const struct prov_module mod_runcmd, mod_bootcmd, mod_scripts_user, mod_scripts_per_boot;

static void test_shellify(void)
{
	t_group("shellify / runcmd");
	struct pt t;
	CHECK_INT(pt_init(&t, "runcmd:\n- echo hi; ls\n- [ls, -l, \"it's here\"]\n-\n- [echo, 1, true, null, 1.5]\n"
	                     "- |\n  multi\n  line\n"), 0);
	char *err;
	CHECK_INT(pt_run(&t, &mod_runcmd, &err), 0);
	CHECK_STR(err, "");
	free(err);
	char *s = pt_read(&t, "/var/lib/cloud/instances/iid-test/scripts/runcmd");
	CHECK_STR(s, "#!/bin/sh\necho hi; ls\n'ls' '-l' 'it'\\''s here'\n'echo' '1' 'True' 'None' '1.5'\nmulti\nline\n\n");
	free(s);
	CHECK_INT(pt_stat(&t, "/var/lib/cloud/instances/iid-test/scripts/runcmd").st_mode & 07777, 0700);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "runcmd: 'echo hi'\n"), 0);
	CHECK_INT(pt_run(&t, &mod_runcmd, &err), -1);
	CHECK(strstr(err, "shellify") != NULL);
	free(err);
	pt_free(&t);
	CHECK_INT(pt_init(&t, "runcmd: [{a: 1}]\n"), 0);
	CHECK_INT(pt_run(&t, &mod_runcmd, &err), -1);
	CHECK(strstr(err, "runcmd[0]") != NULL);
	free(err);
	CHECK_INT(pt_stat(&t, "/var/lib/cloud/instances/iid-test/scripts/runcmd").st_mode, 0);
	pt_free(&t);
}

static void test_runparts(void)
{
	t_group("run-parts: order, failures, reboot codes");
	struct pt t;
	CHECK_INT(pt_init(&t, "runcmd: ['echo runcmd >> /order']\n"), 0);
	if (pt_add_shell(&t) < 0) {
		printf("skip: no static /usr/bin/busybox\n");
		pt_free(&t);
		return;
	}
	char *err;
	CHECK_INT(pt_run(&t, &mod_runcmd, &err), 0);
	free(err);
	const char *sd = "/var/lib/cloud/instances/iid-test/scripts/";
	char path[256];
	snprintf(path, sizeof(path), "%s10-ok", sd);
	CHECK_INT(pt_put(&t, path, "#!/bin/sh\necho 10-ok >> /order\n", 0755), 0);
	snprintf(path, sizeof(path), "%s20-fail", sd);
	CHECK_INT(pt_put(&t, path, "#!/bin/sh\necho 20-fail >> /order\nexit 3\n", 0755), 0);
	snprintf(path, sizeof(path), "%s30-noexec", sd);
	CHECK_INT(pt_put(&t, path, "#!/bin/sh\necho 30 >> /order\n", 0644), 0);
	snprintf(path, sizeof(path), "%s40-noshebang", sd);
	CHECK_INT(pt_put(&t, path, "echo 40 >> /order\n", 0755), 0);
	snprintf(path, sizeof(path), "%svendor/x", sd);
	CHECK_INT(pt_put(&t, path, "#!/bin/sh\necho vendor >> /order\n", 0755), 0);
	CHECK_INT(pt_run(&t, &mod_scripts_user, &err), -1);
	CHECK_STR(err, "Runparts: 2 failures (20-fail,40-noshebang) in 4 attempted commands");
	free(err);
	char *o = pt_read(&t, "/order");
	CHECK_STR(o, "10-ok\n20-fail\nruncmd\n");
	free(o);
	CHECK_INT(t.ctx.reboot_requested, 0);
	pt_free(&t);

	/* 1001: reboot, done; 1003: reboot, again */
	CHECK_INT(pt_init(&t, "{}\n"), 0);
	CHECK_INT(pt_add_shell(&t), 0);
	CHECK_INT(pt_put(&t, "/var/lib/cloud/scripts/per-boot/a", "#!/bin/sh\necho a$EGS_ENTRY_INDEX >> /order\nexit 1001\n", 0755), 0);
	CHECK_INT(pt_put(&t, "/var/lib/cloud/scripts/per-boot/b",
	                 "#!/bin/sh\necho b >> /order\n[ -e /again ] && exit 0\necho > /again\nexit 1003\n", 0755), 0);
	CHECK_INT(pt_put(&t, "/var/lib/cloud/scripts/per-boot/c", "#!/bin/sh\necho c >> /order\n", 0755), 0);
	CHECK_INT(pt_run(&t, &mod_scripts_per_boot, &err), 0);
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 1);
	char *prog = pt_read(&t, "/var/lib/cloud/data/egs-runparts-scripts_per_boot");
	CHECK_STR(prog, "a\n");
	free(prog);
	t.ctx.reboot_requested = 0; /* "after the reboot" */
	CHECK_INT(pt_run(&t, &mod_scripts_per_boot, &err), 0);
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 1);
	t.ctx.reboot_requested = 0;
	CHECK_INT(pt_run(&t, &mod_scripts_per_boot, &err), 0);
	CHECK_STR(err, "");
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 0);
	o = pt_read(&t, "/order");
	CHECK_STR(o, "a1\nb\nb\nc\n");
	free(o);
	CHECK_INT(pt_stat(&t, "/var/lib/cloud/data/egs-runparts-scripts_per_boot").st_mode, 0);
	pt_free(&t);

	/* bootcmd: runs now, with INSTANCE_ID */
	CHECK_INT(pt_init(&t, "bootcmd:\n- echo \"$INSTANCE_ID\" > /bootcmd.out\n- [sh, -c, 'echo two >> /bootcmd.out']\n"), 0);
	CHECK_INT(pt_add_shell(&t), 0);
	CHECK_INT(pt_run(&t, &mod_bootcmd, &err), 0);
	CHECK_STR(err, "");
	free(err);
	o = pt_read(&t, "/bootcmd.out");
	CHECK_STR(o, "iid-test\ntwo\n");
	free(o);
	pt_free(&t);
	CHECK_INT(pt_init(&t, "bootcmd: [exit 4]\n"), 0);
	CHECK_INT(pt_add_shell(&t), 0);
	CHECK_INT(pt_run(&t, &mod_bootcmd, &err), -1);
	CHECK(strstr(err, "status 4") != NULL);
	free(err);
	pt_free(&t);
}

int main(void)
{
	test_shellify();
	test_runparts();
	return t_done();
}
