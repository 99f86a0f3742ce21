/* common/flags.c: service-control.conf and shell.conf (ServiceControlFlags
 * rules of the original). */
#include "flags.h"
#include "fsutil.h"
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct egs_flags parse(const char *text)
{
	struct egs_flags f;
	flags_parse(text, strlen(text), &f);
	return f;
}

static void test_defaults(void)
{
	t_group("defaults");
	struct egs_flags f = parse("");
	CHECK_INT(f.remote_access, 1);
	CHECK_INT(f.kvp_auth, 1);
	CHECK_INT(f.port_forwarding, 0);
	CHECK_INT(f.provisioning, 1);
	CHECK_INT(f.auto_update, 1);
	f = parse("# only a comment\n\n   \n");
	CHECK_INT(f.remote_access, 1);
	CHECK_INT(f.port_forwarding, 0);
}

static void test_values(void)
{
	t_group("values");
	CHECK_INT(parse("RemoteAccessEnabled=0").remote_access, 0);
	CHECK_INT(parse("RemoteAccessEnabled=1").remote_access, 1);
	CHECK_INT(parse("PortForwardingEnabled=1").port_forwarding, 1);
	CHECK_INT(parse("PortForwardingEnabled=42").port_forwarding, 1);
	CHECK_INT(parse("PortForwardingEnabled=-1").port_forwarding, 1);
	CHECK_INT(parse("PortForwardingEnabled=+1").port_forwarding, 1);
	CHECK_INT(parse("KvpAuthEnabled=-0").kvp_auth, 0);
	CHECK_INT(parse("KvpAuthEnabled=000").kvp_auth, 0);
	CHECK_INT(parse("KvpAuthEnabled=false").kvp_auth, 0);
	CHECK_INT(parse("KvpAuthEnabled=FALSE").kvp_auth, 0);
	CHECK_INT(parse("KvpAuthEnabled=False").kvp_auth, 0);
	CHECK_INT(parse("PortForwardingEnabled=TRUE").port_forwarding, 1);
	CHECK_INT(parse("PortForwardingEnabled=tRuE").port_forwarding, 1);
	/* Not an int, not a bool: the default. */
	CHECK_INT(parse("KvpAuthEnabled=no").kvp_auth, 1);
	CHECK_INT(parse("KvpAuthEnabled=off").kvp_auth, 1);
	CHECK_INT(parse("PortForwardingEnabled=yes").port_forwarding, 0);
	CHECK_INT(parse("PortForwardingEnabled=on").port_forwarding, 0);
	CHECK_INT(parse("KvpAuthEnabled=").kvp_auth, 1);
	CHECK_INT(parse("KvpAuthEnabled=0x0").kvp_auth, 1);
	CHECK_INT(parse("KvpAuthEnabled=1.0").kvp_auth, 1);
	CHECK_INT(parse("PortForwardingEnabled=1 2").port_forwarding, 0);
	CHECK_INT(parse("PortForwardingEnabled=99999999999").port_forwarding, 0); /* not int32 */
	CHECK_INT(parse("PortForwardingEnabled=2147483647").port_forwarding, 1);
	CHECK_INT(parse("KvpAuthEnabled=-2147483648").kvp_auth, 1);
	CHECK_INT(parse("KvpAuthEnabled=2147483648").kvp_auth, 1); /* overflow: default */
	CHECK_INT(parse("KvpAuthEnabled=+").kvp_auth, 1);
}

static void test_syntax(void)
{
	t_group("syntax");
	/* Trimming of key and value, CRLF and CR line ends. */
	CHECK_INT(parse("  RemoteAccessEnabled  =  0  \r\n").remote_access, 0);
	CHECK_INT(parse("\tKvpAuthEnabled\t=\tfalse\t").kvp_auth, 0);
	struct egs_flags f = parse("RemoteAccessEnabled=0\rKvpAuthEnabled=0\r\nPortForwardingEnabled=1");
	CHECK_INT(f.remote_access, 0);
	CHECK_INT(f.kvp_auth, 0);
	CHECK_INT(f.port_forwarding, 1);
	/* Case-insensitive keys. */
	CHECK_INT(parse("remoteaccessenabled=0").remote_access, 0);
	CHECK_INT(parse("REMOTEACCESSENABLED=0").remote_access, 0);
	CHECK_INT(parse("portForwardingenabled=true").port_forwarding, 1);
	/* First match wins, even over a later valid line. */
	CHECK_INT(parse("KvpAuthEnabled=0\nKvpAuthEnabled=1").kvp_auth, 0);
	CHECK_INT(parse("KvpAuthEnabled=1\nkvpauthenabled=0").kvp_auth, 1);
	CHECK_INT(parse("KvpAuthEnabled=maybe\nKvpAuthEnabled=0").kvp_auth, 1);
	/* Comments, lines with no '=' or an empty key are skipped. */
	CHECK_INT(parse("#KvpAuthEnabled=0\nKvpAuthEnabled=1").kvp_auth, 1);
	CHECK_INT(parse("   # KvpAuthEnabled=0").kvp_auth, 1);
	CHECK_INT(parse("KvpAuthEnabled\nKvpAuthEnabled=0").kvp_auth, 0);
	CHECK_INT(parse("=0\nKvpAuthEnabled=0").kvp_auth, 0);
	CHECK_INT(parse("  =0").kvp_auth, 1);
	/* The value is everything after the first '='. */
	CHECK_INT(parse("KvpAuthEnabled==0").kvp_auth, 1);
	CHECK_INT(parse("KvpAuthEnabled=0=1").kvp_auth, 1);
	/* A key that only starts with the name is another key. */
	CHECK_INT(parse("KvpAuthEnabledX=0").kvp_auth, 1);
	CHECK_INT(parse("XKvpAuthEnabled=0").kvp_auth, 1);
	/* A comment marker after text is part of the value. */
	CHECK_INT(parse("KvpAuthEnabled=0 # off").kvp_auth, 1);
	/* Unrelated keys leave the others alone. */
	f = parse("Foo=bar\nProvisioningEnabled=0\nAutoUpdateEnabled=false\n");
	CHECK_INT(f.provisioning, 0);
	CHECK_INT(f.auto_update, 0);
	CHECK_INT(f.remote_access, 1);

	char *v = conf_get("a=1\nkey = x = y \n", 16, "KEY");
	CHECK_STR(v, "x = y");
	free(v);
	CHECK(conf_get("a=1", 3, "b") == NULL);
	CHECK_INT(conf_flag_value(NULL, 1), 1);
	CHECK_INT(conf_flag_value("0", 1), 0);
}

static void test_files(void)
{
	t_group("files");
	char dir[] = "/tmp/egs-flags-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	char *path = fs_join(dir, FLAGS_FILE);
	struct egs_flags f;
	f.kvp_auth = 7;
	CHECK_INT(flags_load(path, &f), -1); /* missing: defaults */
	CHECK_INT(errno, ENOENT);
	CHECK_INT(f.kvp_auth, 1);
	CHECK_INT(f.port_forwarding, 0);
	const char *conf = "# eryph\nKvpAuthEnabled=0\nPortForwardingEnabled=1\n";
	CHECK_INT(fs_write_atomic(path, conf, strlen(conf), 0644), 0);
	CHECK_INT(flags_load(path, &f), 0);
	CHECK_INT(f.kvp_auth, 0);
	CHECK_INT(f.port_forwarding, 1);
	/* A directory where the file should be: I/O error, defaults. */
	unlink(path);
	CHECK_INT(mkdir(path, 0755), 0);
	CHECK_INT(flags_load(path, &f), -1);
	CHECK_INT(f.kvp_auth, 1);
	rmdir(path);
	free(path);

	/* shell.conf */
	struct shell_conf sc;
	path = fs_join(dir, SHELL_CONF_FILE);
	CHECK_INT(shell_conf_load(path, &sc), -1);
	CHECK(sc.shell == NULL && sc.args == NULL);
	conf = "shell = /bin/zsh \r\nshell-args= -l -i \r\n";
	CHECK_INT(fs_write_atomic(path, conf, strlen(conf), 0644), 0);
	CHECK_INT(shell_conf_load(path, &sc), 0);
	CHECK_STR(sc.shell, "/bin/zsh");
	CHECK_STR(sc.args, "-l -i");
	shell_conf_free(&sc);
	conf = "SHELL=/bin/sh\n";
	CHECK_INT(shell_conf_parse(conf, strlen(conf), &sc), 0);
	CHECK_STR(sc.shell, "/bin/sh");
	CHECK(sc.args == NULL);
	shell_conf_free(&sc);
	conf = "shell=   \nshell-args=-l\n"; /* blank shell: no override at all */
	CHECK_INT(shell_conf_parse(conf, strlen(conf), &sc), 0);
	CHECK(sc.shell == NULL && sc.args == NULL);
	conf = "shell-args=-l\nshell=/bin/bash\nshell=/bin/sh\n# shell=/x\n";
	CHECK_INT(shell_conf_parse(conf, strlen(conf), &sc), 0);
	CHECK_STR(sc.shell, "/bin/bash");
	CHECK_STR(sc.args, "-l");
	shell_conf_free(&sc);
	conf = "shell=/bin/bash\nshell-args=  \n";
	CHECK_INT(shell_conf_parse(conf, strlen(conf), &sc), 0);
	CHECK(sc.args == NULL);
	shell_conf_free(&sc);
	unlink(path);
	free(path);
	rmdir(dir);
}

int main(void)
{
	test_defaults();
	test_values();
	test_syntax();
	test_files();
	return t_done();
}
