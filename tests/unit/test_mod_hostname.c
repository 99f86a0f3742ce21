/* common/mod_hostname.c: set_hostname, update_hostname, update_etc_hosts
 * on a --root tree (cloud-init.md §4.1). */
#include "provtest.h"
#include "testlib.h"

extern const struct prov_module mod_set_hostname, mod_update_hostname, mod_update_etc_hosts;

static void run_ok(struct pt *t, const struct prov_module *m)
{
	char *err;
	CHECK_INT(pt_run(t, m, &err), 0);
	CHECK_STR(err, "");
	free(err);
}

static void check_text(struct pt *t, const char *abs, const char *want)
{
	char *got = pt_read(t, abs);
	CHECK_STR(got, want);
	free(got);
}

static void test_set(void)
{
	t_group("set_hostname / update_hostname");
	struct pt t;
	CHECK_INT(pt_init(&t, "hostname: web1\nfqdn: web1.example.com\n"), 0);
	CHECK_INT(pt_put(&t, "/etc/hostname", "# managed\nold-name # was\n", 0600), 0);
	run_ok(&t, &mod_set_hostname);
	check_text(&t, "/etc/hostname", "# managed\nweb1# was\n");
	CHECK_INT(pt_stat(&t, "/etc/hostname").st_mode & 07777, 0644);
	check_text(&t, "/var/lib/cloud/data/set-hostname",
	           "{\n \"fqdn\": \"web1.example.com\",\n \"hostname\": \"web1\"\n}\n");
	/* update_hostname: first boot writes previous-hostname */
	run_ok(&t, &mod_update_hostname);
	check_text(&t, "/var/lib/cloud/data/previous-hostname", "web1\n");
	/* the user changed /etc/hostname: left alone */
	CHECK_INT(pt_put(&t, "/etc/hostname", "mine\n", 0644), 0);
	run_ok(&t, &mod_update_hostname);
	check_text(&t, "/etc/hostname", "mine\n");
	pt_free(&t);

	/* several distinct names: rewritten from scratch; prefer_fqdn */
	CHECK_INT(pt_init(&t, "hostname: db.example.org\nprefer_fqdn_over_hostname: true\n"), 0);
	CHECK_INT(pt_put(&t, "/etc/hostname", "# c\na\nb\n", 0644), 0);
	run_ok(&t, &mod_set_hostname);
	check_text(&t, "/etc/hostname", "db.example.org\n");
	pt_free(&t);

	/* meta-data only; preserve_hostname */
	CHECK_INT(pt_init(&t, "{}\n"), 0);
	run_ok(&t, &mod_set_hostname);
	check_text(&t, "/etc/hostname", "meta-host\n");
	pt_free(&t);
	CHECK_INT(pt_init(&t, "preserve_hostname: true\nhostname: x\n"), 0);
	run_ok(&t, &mod_set_hostname);
	run_ok(&t, &mod_update_hostname);
	CHECK_INT(pt_stat(&t, "/etc/hostname").st_mode, 0);
	pt_free(&t);
}

static void test_hosts(void)
{
	t_group("update_etc_hosts");
	struct pt t;
	CHECK_INT(pt_init(&t, "manage_etc_hosts: true\nhostname: web1\nfqdn: web1.example.com\n"), 0);
	run_ok(&t, &mod_update_etc_hosts);
	char *h = pt_read(&t, "/etc/hosts");
	CHECK(h && strstr(h, "\n#\n127.0.1.1 web1.example.com web1\n127.0.0.1 localhost\n\n"));
	/* the template ends "ff02::2 ip6-allrouters\n\n", as cloud-init's */
	CHECK(h && strlen(h) > 3 && strcmp(h + strlen(h) - 3, "s\n\n") == 0);
	free(h);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "manage_etc_hosts: localhost\nhostname: web1\n"), 0);
	CHECK_INT(pt_put(&t, "/etc/hosts", "127.0.0.1 localhost # lo\n127.0.1.1 old.example old\n\n# end\n", 0644), 0);
	run_ok(&t, &mod_update_etc_hosts);
	check_text(&t, "/etc/hosts",
	           "127.0.0.1\tlocalhost# lo\n\n# end\n127.0.1.1\told.example\told\n"
	           "127.0.1.1\tmeta-host\tweb1\n\n");
	/* already there: unchanged */
	run_ok(&t, &mod_update_etc_hosts);
	check_text(&t, "/etc/hosts",
	           "127.0.0.1\tlocalhost# lo\n\n# end\n127.0.1.1\told.example\told\n"
	           "127.0.1.1\tmeta-host\tweb1\n\n");
	pt_free(&t);

	CHECK_INT(pt_init(&t, "manage_etc_hosts: false\nhostname: x\n"), 0);
	run_ok(&t, &mod_update_etc_hosts);
	CHECK_INT(pt_stat(&t, "/etc/hosts").st_mode, 0);
	pt_free(&t);
}

int main(void)
{
	test_set();
	test_hosts();
	return t_done();
}
