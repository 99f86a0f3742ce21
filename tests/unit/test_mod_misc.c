/* The module table (common/prov_modules.c), timezone and final_message. */
#include "provtest.h"
#include "testlib.h"

extern const struct prov_module mod_timezone, mod_final_message;

static void test_table(void)
{
	t_group("module table: Debian 12 order");
	CHECK_INT(prov_module_count, 52);
	static const char *const first[] = {"migrator", "seed_random", "bootcmd", "write-files"};
	for (size_t i = 0; i < 4; i++)
		CHECK_STR(prov_modules[i]->name, first[i]);
	CHECK_STR(prov_modules[prov_module_count - 1]->name, "power-state-change");
	int last_stage = STAGE_NETWORK, users = -1, ssh = -1, wf = -1, sp = -1, rc = -1;
	for (size_t i = 0; i < prov_module_count; i++) {
		const struct prov_module *m = prov_modules[i];
		CHECK(m->run != NULL);
		CHECK((int)m->stage >= last_stage);
		last_stage = m->stage;
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(prov_modules[j]->name, m->name) != 0);
		if (!strcmp(m->name, "users-groups"))
			users = (int)i;
		if (!strcmp(m->name, "ssh"))
			ssh = (int)i;
		if (!strcmp(m->name, "write-files"))
			wf = (int)i;
		if (!strcmp(m->name, "set-passwords"))
			sp = (int)i;
		if (!strcmp(m->name, "runcmd")) {
			rc = (int)i;
			CHECK_STR(m->activate_keys[0], "runcmd");
			CHECK_INT(m->freq, FREQ_INSTANCE);
			CHECK_INT(m->stage, STAGE_CONFIG);
		}
		if (!strcmp(m->name, "scripts-per-once"))
			CHECK_INT(m->freq, FREQ_ONCE);
		if (!strcmp(m->name, "update_hostname"))
			CHECK_INT(m->freq, FREQ_ALWAYS);
	}
	CHECK(wf < users && users < ssh && ssh < sp && sp < rc);
	CHECK_INT(prov_modules[users]->stage, STAGE_NETWORK);
}

static void test_timezone(void)
{
	t_group("timezone");
	struct pt t;
	CHECK_INT(pt_init(&t, "timezone: Europe/Berlin\n"), 0);
	char *err;
	CHECK_INT(pt_run(&t, &mod_timezone, &err), -1);
	CHECK_STR(err, "Invalid timezone Europe/Berlin, no file found at /usr/share/zoneinfo/Europe/Berlin");
	free(err);
	CHECK_INT(pt_put(&t, "/usr/share/zoneinfo/Europe/Berlin", "TZif-data", 0644), 0);
	CHECK_INT(pt_run(&t, &mod_timezone, &err), 0);
	CHECK_STR(err, "");
	free(err);
	char *tz = pt_read(&t, "/etc/timezone");
	CHECK_STR(tz, "Europe/Berlin\n");
	free(tz);
	CHECK(S_ISLNK(pt_stat(&t, "/etc/localtime").st_mode));
	char link[256] = "";
	char *p = fs_join(t.root, "/etc/localtime");
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	free(p);
	if (n > 0)
		link[n] = '\0';
	CHECK_STR(link, "/usr/share/zoneinfo/Europe/Berlin");
	/* a regular /etc/localtime is overwritten with a copy */
	p = fs_join(t.root, "/etc/localtime");
	unlink(p);
	free(p);
	CHECK_INT(pt_put(&t, "/etc/localtime", "old", 0644), 0);
	CHECK_INT(pt_run(&t, &mod_timezone, &err), 0);
	free(err);
	char *lt = pt_read(&t, "/etc/localtime");
	CHECK_STR(lt, "TZif-data");
	free(lt);
	pt_free(&t);
}

static void test_final_message(void)
{
	t_group("final_message");
	struct pt t;
	CHECK_INT(pt_init(&t, "final_message: 'done $VERSION ${datasource} $unknown'\n"), 0);
	char *err;
	CHECK_INT(pt_run(&t, &mod_final_message, &err), 0);
	free(err);
	char *bf = pt_read(&t, "/var/lib/cloud/instances/iid-test/boot-finished");
	CHECK(bf && strstr(bf, " - v. " EGS_VERSION "\n"));
	free(bf);
	pt_free(&t);
}

int main(void)
{
	test_table();
	test_timezone();
	test_final_message();
	return t_done();
}
