/* common/sshconfig.c: byte-exact against tests/fixtures/sshconfig/. */
#include "fsutil.h"
#include "sshconfig.h"
#include "strbuf.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fixdir[512];
static char err[300];

/* The fixture directory: $EGS_FIXTURES/sshconfig, else next to this file. */
static void find_fixtures(void)
{
	const char *env = getenv("EGS_FIXTURES");
	if (env) {
		snprintf(fixdir, sizeof(fixdir), "%s/sshconfig", env);
		return;
	}
	const char *file = __FILE__;
	const char *slash = strrchr(file, '/');
	snprintf(fixdir, sizeof(fixdir), "%.*s/../fixtures/sshconfig",
	         slash ? (int)(slash - file) : 1, slash ? file : ".");
}

static const char *fixture(const char *name, struct strbuf *sb)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", fixdir, name);
	sb_reset(sb);
	if (fs_read_file(path, sb, 0) < 0) {
		printf("cannot read fixture %s\n", path);
		return NULL;
	}
	return sb_str(sb);
}

static void test_alias(void)
{
	t_group("alias");
	CHECK(sshconfig_alias_valid("myvm", err, sizeof(err)) == 0);
	CHECK(sshconfig_alias_valid("A.b-c_9", err, sizeof(err)) == 0);
	CHECK(sshconfig_alias_valid("x.hyper-v.alt.example", err, sizeof(err)) == 0);
	CHECK(sshconfig_alias_valid("", err, sizeof(err)) < 0);
	CHECK(sshconfig_alias_valid(NULL, err, sizeof(err)) < 0);
	const char *bad[] = {"my vm", "vm/1", "vm%1", "ümlaut", "a*", "a?", "a,b", "a\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(sshconfig_alias_valid(bad[i], err, sizeof(err)) < 0);
		CHECK(strstr(err, "ASCII letters, digits") != NULL);
	}
	CHECK(sshconfig_alias_valid("vm.hyper-v.alt", err, sizeof(err)) < 0);
	CHECK_STR(err, "The alias 'vm.hyper-v.alt' must not end with .hyper-v.alt.");
	CHECK(sshconfig_alias_valid("VM.Eryph.ALT", err, sizeof(err)) < 0);
	CHECK(sshconfig_alias_valid("x.egs.alt", err, sizeof(err)) < 0);
	CHECK(sshconfig_alias_valid(".hyper-v.alt", err, sizeof(err)) < 0);
}

static const char *name_of(const char *text, const char *port)
{
	static char buf[256];
	struct transport_target t;
	if (transport_parse(text, port, &t, err, sizeof(err)) < 0)
		return "PARSE";
	if (sshconfig_name_for_target(&t, buf, sizeof(buf)) < 0)
		return "ERR";
	return buf;
}

static void test_names(void)
{
	t_group("names");
	CHECK_STR(name_of("vsock/3", NULL), "vsock-3.egs.alt");
	CHECK_STR(name_of("vsock%3", "5002"), "vsock-3.egs.alt");
	CHECK_STR(name_of("vsock/host", "22"), "vsock-2-22.egs.alt");
	CHECK_STR(name_of("unix/run/vm.sock", NULL), "unix-run-vm.sock.egs.alt");
	CHECK_STR(name_of("unix//run/VM1/ssh", NULL), "unix-run-vm1-ssh.egs.alt");
	CHECK_STR(name_of("unix/./x.", NULL), "unix-.-x.egs.alt");
	CHECK_STR(name_of("tcp/127.0.0.1:2222", NULL), "tcp-127.0.0.1-2222.egs.alt");
	CHECK_STR(name_of("tcp/[::1]:22", NULL), "tcp-1-22.egs.alt");
	CHECK_STR(name_of("vsock-mux/run/fc 1/v%.sock", "1024"),
	          "vsock-mux-run-fc-1-v-.sock-1024.egs.alt");
	char longp[120];
	memset(longp, 'a', sizeof(longp));
	memcpy(longp, "unix/", 5);
	longp[105] = '\0';
	char wantname[130] = "unix-";
	memset(wantname + 5, 'a', 100);
	strcpy(wantname + 105, ".egs.alt");
	CHECK_STR(name_of(longp, NULL), wantname);
	struct transport_target t;
	CHECK(transport_parse("vsock/3", NULL, &t, err, sizeof(err)) == 0);
	char tiny[10];
	CHECK(sshconfig_name_for_target(&t, tiny, sizeof(tiny)) < 0);
}

static void test_main(void)
{
	t_group("main config");
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT, out = STRBUF_INIT, glob = STRBUF_INIT;
	CHECK(sshconfig_tilde("/home/user/.config/egs/ssh/vm.d/*", "/home/user/", &glob) == 0);
	CHECK_STR(sb_str(&glob), "~/.config/egs/ssh/vm.d/*");
	struct strbuf t2 = STRBUF_INIT;
	CHECK(sshconfig_tilde("/home/username/x", "/home/user", &t2) == 0);
	CHECK_STR(sb_str(&t2), "/home/username/x");
	sb_reset(&t2);
	CHECK(sshconfig_tilde("/x", "/", &t2) == 0);
	CHECK_STR(sb_str(&t2), "/x");
	sb_free(&t2);

	const char *g = sb_str(&glob);
	CHECK(sshconfig_update_main(NULL, g, &out, err, sizeof(err)) == 0);
	CHECK_STR(sb_str(&out), fixture("main-new.expected", &want));
	sb_reset(&out);
	CHECK(sshconfig_update_main(" \n\t\r\n", g, &out, err, sizeof(err)) == 0);
	CHECK_STR(sb_str(&out), fixture("main-new.expected", &want));

	sb_reset(&out);
	CHECK(sshconfig_update_main(fixture("main-prepend.input", &in), g, &out, err,
	                            sizeof(err)) == 0);
	CHECK_STR(sb_str(&out), fixture("main-prepend.expected", &want));
	/* running again on the result changes nothing */
	struct strbuf again = STRBUF_INIT;
	CHECK(sshconfig_update_main(sb_str(&out), g, &again, err, sizeof(err)) == 0);
	CHECK_STR(sb_str(&again), sb_str(&out));
	sb_free(&again);

	sb_reset(&out);
	CHECK(sshconfig_update_main(fixture("main-replace.input", &in), g, &out, err,
	                            sizeof(err)) == 0);
	CHECK_STR(sb_str(&out), fixture("main-replace.expected", &want));

	sb_reset(&out);
	CHECK(sshconfig_update_main(fixture("main-broken.input", &in), g, &out, err,
	                            sizeof(err)) < 0);
	CHECK_STR(err, "broken eryph guest services configuration");
	/* three borders are broken too; CRLF and indented borders count */
	sb_reset(&out);
	CHECK(sshconfig_update_main(SSHCONFIG_BORDER "\n" SSHCONFIG_BORDER "\n" SSHCONFIG_BORDER "\n",
	                            g, &out, err, sizeof(err)) < 0);
	sb_reset(&out);
	CHECK(sshconfig_update_main("a\r\n  " SSHCONFIG_BORDER "\r\nold\r\n" SSHCONFIG_BORDER " \r\nb",
	                            g, &out, err, sizeof(err)) == 0);
	CHECK(strncmp(sb_str(&out), "a\r\n" SSHCONFIG_BORDER "\n", 4 + strlen(SSHCONFIG_BORDER)) == 0);
	CHECK(strstr(sb_str(&out), "old") == NULL);
	CHECK(out.len > 2 && strcmp(out.data + out.len - 2, "\nb") == 0);
	/* a border at the very end without a newline */
	sb_reset(&out);
	CHECK(sshconfig_update_main(SSHCONFIG_BORDER "\nx\n" SSHCONFIG_BORDER, g, &out, err,
	                            sizeof(err)) == 0);
	CHECK_STR(sb_str(&out), fixture("main-new.expected", &want));
	sb_free(&in), sb_free(&want), sb_free(&out), sb_free(&glob);
}

static void test_vm(void)
{
	t_group("vm file");
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;
	struct sshconfig_vm vm = {
		.name = "vsock-3.egs.alt",
		.alias = "myvm",
		.target_text = "vsock/3",
		.port = 5002,
		.fdpass = 1,
		.egs_path = "/usr/local/bin/egs",
		.identity_file = "/home/user/.config/egs/private/id_egs",
		.known_hosts = "/home/user/.config/egs/known_hosts.d/vsock-3.egs.alt",
		.strict = 0,
	};
	CHECK(sshconfig_render_vm(&vm, &out, err, sizeof(err)) == 0);
	CHECK_STR(sb_str(&out), fixture("vm-vsock-alias.config", &want));

	struct sshconfig_vm tcp = {
		.name = "tcp-127.0.0.1-2222.egs.alt",
		.target_text = "tcp/127.0.0.1:2222",
		.port = 2222,
		.egs_path = "/usr/local/bin/egs",
		.identity_file = "/home/user/.config/egs/private/id_egs",
		.known_hosts = "/home/user/.config/egs/known_hosts.d/tcp-127.0.0.1-2222.egs.alt",
		.strict = 1,
	};
	sb_reset(&out);
	CHECK(sshconfig_render_vm(&tcp, &out, err, sizeof(err)) == 0);
	CHECK_STR(sb_str(&out), fixture("vm-tcp-pinned.config", &want));

	struct sshconfig_vm mux = {
		.name = "vsock-mux-run-fc-1-v-.sock-1024.egs.alt",
		.alias = "fc-1.test",
		.target_text = "vsock-mux/run/fc 1/v%.sock",
		.port = 1024,
		.fdpass = 1,
		.egs_path = "/opt/my tools/egs",
		.identity_file = "/home/o'neil/100%/private/id_egs",
		.known_hosts = "/home/o'neil/100%/known_hosts.d/vsock-mux-run-fc-1-v-.sock-1024.egs.alt",
	};
	sb_reset(&out);
	CHECK(sshconfig_render_vm(&mux, &out, err, sizeof(err)) == 0);
	CHECK_STR(sb_str(&out), fixture("vm-mux-quoted.config", &want));

	/* reading the target back */
	struct strbuf tt = STRBUF_INIT, pp = STRBUF_INIT;
	CHECK(sshconfig_read_target(sb_str(&out), &tt, &pp) == 0);
	CHECK_STR(sb_str(&tt), "vsock-mux/run/fc 1/v%.sock");
	CHECK_STR(sb_str(&pp), "1024");
	sb_reset(&tt), sb_reset(&pp);
	CHECK(sshconfig_read_target(fixture("vm-tcp-pinned.config", &want), &tt, &pp) == 0);
	CHECK_STR(sb_str(&tt), "tcp/127.0.0.1:2222");
	CHECK_STR(sb_str(&pp), "");
	sb_reset(&tt), sb_reset(&pp);
	CHECK(sshconfig_read_target("# egs-target: unix/tmp/a 5\r\n", &tt, &pp) == 0);
	CHECK_STR(sb_str(&tt), "unix/tmp/a 5");
	CHECK(sshconfig_read_target("# egs-target: vsock/3\n", &tt, &pp) < 0);
	CHECK(sshconfig_read_target("Host x\n", &tt, &pp) < 0);
	sb_free(&tt), sb_free(&pp);

	/* refusals */
	struct sshconfig_vm badvm = vm;
	badvm.identity_file = "/home/a\"b/id";
	sb_reset(&out);
	CHECK(sshconfig_render_vm(&badvm, &out, err, sizeof(err)) < 0);
	CHECK(strstr(err, "key path") != NULL);
	badvm = vm;
	badvm.target_text = "unix/a\nb";
	CHECK(sshconfig_render_vm(&badvm, &out, err, sizeof(err)) < 0);
	badvm = vm;
	badvm.alias = "bad alias";
	CHECK(sshconfig_render_vm(&badvm, &out, err, sizeof(err)) < 0);
	sb_free(&out), sb_free(&want);
}

static void test_hosts(void)
{
	t_group("host lines");
	const char *text = "# x\nHost myvm Other vsock-3.egs.alt\n    HostName vsock-3.egs.alt\n";
	CHECK(sshconfig_has_host(text, "myvm"));
	CHECK(sshconfig_has_host(text, "MYVM"));
	CHECK(sshconfig_has_host(text, "other"));
	CHECK(sshconfig_has_host(text, "vsock-3.egs.alt"));
	CHECK(!sshconfig_has_host(text, "my"));
	CHECK(!sshconfig_has_host(text, "HostName"));
	CHECK(sshconfig_has_host("  host=a b\n", "b"));
	CHECK(!sshconfig_has_host("Hostx a\n", "a"));

	struct strbuf out = STRBUF_INIT;
	CHECK_INT(sshconfig_remove_alias(text, "MyVm", &out), 1);
	CHECK_STR(sb_str(&out), "# x\nHost Other vsock-3.egs.alt\n    HostName vsock-3.egs.alt\n");
	sb_reset(&out);
	CHECK_INT(sshconfig_remove_alias(text, "absent", &out), 0);
	CHECK_STR(sb_str(&out), "");
	/* never empties a Host line */
	CHECK_INT(sshconfig_remove_alias("Host only\n  User x\n", "only", &out), 0);
	CHECK_INT(sshconfig_remove_alias("Host a only\r\n", "ONLY", &out), 1);
	CHECK_STR(sb_str(&out), "Host a\r\n");
	sb_reset(&out);
	CHECK_INT(sshconfig_remove_alias("Host a b a\nHost c a", "a", &out), 1);
	CHECK_STR(sb_str(&out), "Host b\nHost c");
	sb_free(&out);

	struct strbuf q = STRBUF_INIT;
	CHECK(sshconfig_shell_quote("/usr/bin/egs", &q) == 0);
	CHECK(sshconfig_shell_quote("", &q) == 0);
	CHECK(sshconfig_shell_quote("it's", &q) == 0);
	CHECK_STR(sb_str(&q), "/usr/bin/egs''\'it'\\''s'");
	sb_free(&q);
}

int main(void)
{
	find_fixtures();
	test_alias();
	test_names();
	test_main();
	test_vm();
	test_hosts();
	return t_done();
}
