/* common/mod_scripts.c and common/shellify.c (cloud-init.md §4.6-§4.8,
 * egs-compat §13.5). Scripts run chrooted in the test's --root tree with
 * a static busybox as /bin/sh; without /usr/bin/busybox those checks are
 * skipped. */
#include "provtest.h"
#include "shellify.h"
#include "testlib.h"

#include <time.h>

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
	CHECK_STR(prog, "a\n#egs module-reboots 1\n#egs script 1 10 a\n");
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

/* One module run "after a reboot": returns its result, err in *err. */
static int rerun(struct pt *t, const struct prov_module *m, char **err)
{
	t->ctx.reboot_requested = 0;
	return pt_run(t, m, err);
}

#define PB "/var/lib/cloud/scripts/per-boot/"
#define PROG "/var/lib/cloud/data/egs-runparts-scripts_per_boot"

static void test_reboot_limits(void)
{
	t_group("run-parts: reboot limits and environment");
	struct pt t;
	char *err, *s;
	CHECK_INT(pt_init(&t, "{}\n"), 0);
	if (pt_add_shell(&t) < 0) {
		printf("skip: no static /usr/bin/busybox\n");
		pt_free(&t);
		return;
	}
	/* environment; scripts finished before a reboot are not run again */
	const char *envline = "echo \"$0 $EGS_ENTRY_INDEX $EGS_REBOOT_COUNT $EGS_REBOOT_LIMIT\" >> /env\n";
	char text[512];
	snprintf(text, sizeof(text), "#!/bin/sh\n%s", envline);
	CHECK_INT(pt_put(&t, PB "a", text, 0755), 0);
	CHECK_INT(pt_put(&t, PB "b-noexec", "#!/bin/sh\nexit 0\n", 0644), 0);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s[ \"$EGS_REBOOT_COUNT\" -ge 2 ] && exit 0\nexit 1003\n", envline);
	CHECK_INT(pt_put(&t, PB "c", text, 0755), 0);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), 0);
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 1);
	s = pt_read(&t, PROG);
	CHECK_STR(s, "a\n#egs module-reboots 1\n#egs script 1 10 c\n");
	free(s);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), 0);
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 1);
	s = pt_read(&t, PROG);
	CHECK_STR(s, "a\n#egs module-reboots 2\n#egs script 2 10 c\n");
	free(s);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), 0);
	CHECK_STR(err, "");
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 0);
	s = pt_read(&t, "/env");
	CHECK_STR(s, PB "a 1 0 10\n" PB "c 2 0 10\n" PB "c 2 1 10\n" PB "c 2 2 10\n");
	free(s);
	CHECK_INT(pt_stat(&t, PROG).st_mode, 0); /* cleared on completion */
	pt_free(&t);

	/* per-module cap: the fourth reboot is refused, a failure of its script */
	CHECK_INT(pt_init(&t, "{}\n"), 0);
	CHECK_INT(pt_add_shell(&t), 0);
	const char *n4[] = {"a", "b", "c", "d", "e"};
	for (int i = 0; i < 5; i++) {
		char p[128];
		snprintf(p, sizeof(p), PB "%s", n4[i]);
		snprintf(text, sizeof(text), "#!/bin/sh\necho %s >> /order\n[ %d = 4 ] && exit 0\nexit 1001\n", n4[i], i);
		CHECK_INT(pt_put(&t, p, text, 0755), 0);
	}
	for (int i = 0; i < 3; i++) {
		CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), 0);
		free(err);
		CHECK_INT(t.ctx.reboot_requested, 1);
	}
	s = pt_read(&t, PROG);
	CHECK_STR(s, "a\nb\nc\n#egs module-reboots 3\n#egs script 1 10 a\n#egs script 1 10 b\n#egs script 1 10 c\n");
	free(s);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), -1);
	CHECK_STR(err, "Runparts: 1 failures (d) in 2 attempted commands");
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 0);
	s = pt_read(&t, "/order");
	CHECK_STR(s, "a\nb\nc\nd\ne\n");
	free(s);
	CHECK_INT(pt_stat(&t, PROG).st_mode, 0);
	pt_free(&t);

	/* per-script cap 10 (counts persisted), raised by ##egs.reboot_limit=N */
	CHECK_INT(pt_init(&t, "{}\n"), 0);
	CHECK_INT(pt_add_shell(&t), 0);
	CHECK_INT(pt_put(&t, PROG, "#egs script 10 10 x\n", 0644), 0);
	CHECK_INT(pt_put(&t, PB "x", "#!/bin/sh\necho x$EGS_REBOOT_COUNT/$EGS_REBOOT_LIMIT >> /order\nexit 1003\n", 0755), 0);
	CHECK_INT(pt_put(&t, PB "y", "#!/bin/sh\necho y >> /order\n", 0755), 0);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), -1);
	CHECK_STR(err, "Runparts: 1 failures (x) in 2 attempted commands");
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 0);
	s = pt_read(&t, "/order");
	CHECK_STR(s, "x10/10\ny\n");
	free(s);
	CHECK_INT(pt_stat(&t, PROG).st_mode, 0);
	CHECK_INT(pt_put(&t, "/order", "", 0644), 0);
	CHECK_INT(pt_put(&t, PROG, "#egs script 10 10 x\n", 0644), 0);
	CHECK_INT(pt_put(&t, PB "x",
	                 "#!/bin/sh\necho x$EGS_REBOOT_COUNT/$EGS_REBOOT_LIMIT >> /order\n"
	                 "echo '##egs.reboot_limit=5'\necho '##egs.reboot_limit=11'\n"
	                 "[ $EGS_REBOOT_COUNT -ge 11 ] && exit 0\nexit 1003\n", 0755), 0);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), 0);
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 1);
	s = pt_read(&t, PROG);
	CHECK_STR(s, "#egs module-reboots 1\n#egs script 11 11 x\n");
	free(s);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), 0);
	CHECK_STR(err, "");
	free(err);
	s = pt_read(&t, "/order");
	CHECK_STR(s, "x10/10\nx11/11\ny\n");
	free(s);
	CHECK_INT(pt_stat(&t, PROG).st_mode, 0);
	pt_free(&t);

	/* a lowered limit is persisted even without a reboot, and applies */
	CHECK_INT(pt_init(&t, "{}\n"), 0);
	CHECK_INT(pt_add_shell(&t), 0);
	CHECK_INT(pt_put(&t, PB "x", "#!/bin/sh\necho '##egs.reboot_limit=0'\nexit 1001\n", 0755), 0);
	CHECK_INT(pt_put(&t, PB "y", "#!/bin/sh\nexit 1001\n", 0755), 0);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), 0);
	free(err);
	CHECK_INT(t.ctx.reboot_requested, 1);
	s = pt_read(&t, PROG);
	CHECK_STR(s, "x\ny\n#egs module-reboots 1\n#egs script 0 0 x\n#egs script 1 10 y\n");
	free(s);
	pt_free(&t);

	/* a background process holding the script's stdout does not block */
	CHECK_INT(pt_init(&t, "{}\n"), 0);
	CHECK_INT(pt_add_shell(&t), 0);
	CHECK_INT(pt_put(&t, PB "bg", "#!/bin/sh\n(sleep 3) &\necho '##egs.reboot_limit=7'\nexit 1001\n", 0755), 0);
	time_t t0 = time(NULL);
	CHECK_INT(rerun(&t, &mod_scripts_per_boot, &err), 0);
	free(err);
	CHECK(time(NULL) - t0 < 3);
	s = pt_read(&t, PROG);
	CHECK_STR(s, "bg\n#egs module-reboots 1\n#egs script 1 7 bg\n");
	free(s);
	pt_free(&t);
}

int main(void)
{
	test_shellify();
	test_runparts();
	test_reboot_limits();
	return t_done();
}
