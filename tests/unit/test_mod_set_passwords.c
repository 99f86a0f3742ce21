/* common/mod_set_passwords.c on a --root tree (cloud-init.md §4.3). */
#include <fcntl.h>
#include <time.h>

#include "provtest.h"
#include "sha512crypt.h"
#include "testlib.h"

extern const struct prov_module mod_set_passwords, mod_users_groups;

/* The shadow line of user (malloc'd). */
static char *shadow_line(struct pt *t, const char *user)
{
	return pt_entry(t, "/etc/shadow", user);
}

/* Runs m with stdout and stderr captured into *out (malloc'd). */
static int run_captured(struct pt *t, const struct prov_module *m, char **err, char **out)
{
	fflush(stdout);
	fflush(stderr);
	int s1 = dup(1), s2 = dup(2);
	char path[] = "/tmp/egs-modtest-out-XXXXXX";
	int fd = mkstemp(path);
	dup2(fd, 1);
	dup2(fd, 2);
	int rc = pt_run(t, m, err);
	fflush(stdout);
	fflush(stderr);
	dup2(s1, 1);
	dup2(s2, 2);
	close(s1);
	close(s2);
	close(fd);
	struct strbuf sb = STRBUF_INIT;
	fs_read_file(path, &sb, 0);
	unlink(path);
	*out = sb_detach(&sb);
	return rc;
}

static void check_pw(const char *line, const char *user, const char *plain, const char *lastchg)
{
	/* user:HASH:lastchg:... with HASH the $6$ of plain */
	char want[64];
	snprintf(want, sizeof(want), "%s:$6$", user);
	CHECK(line && !strncmp(line, want, strlen(want)));
	if (!line)
		return;
	const char *h = line + strlen(user) + 1;
	char hash[SHA512CRYPT_MAX] = "", again[SHA512CRYPT_MAX] = "";
	snprintf(hash, sizeof(hash), "%.*s", (int)strcspn(h, ":"), h);
	CHECK_INT(sha512crypt(plain, hash, again, sizeof(again)), 0);
	CHECK_STR(again, hash);
	const char *lc = h + strlen(hash) + 1;
	if (lastchg)
		CHECK(!strncmp(lc, lastchg, strlen(lastchg)) && lc[strlen(lastchg)] == ':');
}

static void test_chpasswd(void)
{
	t_group("chpasswd users/list, expire, RANDOM, no secrets in the log");
	struct pt t;
	CHECK_INT(pt_init(&t,
	          "chpasswd:\n  expire: false\n  users:\n"
	          "    - {name: root, password: R00t-Pass, type: text}\n"
	          "    - {name: daemon, password: '$6$salt$hashedvalue'}\n"
	          "    - {name: nobody, type: RANDOM}\n"),
	          0);
	char *err, *out;
	CHECK_INT(run_captured(&t, &mod_set_passwords, &err, &out), 0);
	CHECK_STR(err, "");
	char *root = shadow_line(&t, "root");
	check_pw(root, "root", "R00t-Pass", NULL);
	char today[32];
	snprintf(today, sizeof(today), "%ld", (long)(time(NULL) / 86400));
	check_pw(root, "root", "R00t-Pass", today); /* expire: false */
	free(root);
	char *d = shadow_line(&t, "daemon");
	CHECK(d && !strncmp(d, "daemon:$6$salt$hashedvalue:", 27));
	free(d);
	/* the random password: printed once as cloud-init does, and it works */
	const char *r = strstr(out, "Set the following 'random' passwords\nnobody:");
	CHECK(r != NULL);
	if (r) {
		char pw[21];
		snprintf(pw, sizeof(pw), "%s", r + strlen("Set the following 'random' passwords\nnobody:"));
		CHECK_INT(strlen(pw), 20);
		CHECK(strpbrk(pw, "loLOI01") == NULL);
		char *n = shadow_line(&t, "nobody");
		check_pw(n, "nobody", pw, NULL);
		free(n);
	}
	CHECK(strstr(out, "R00t-Pass") == NULL);
	CHECK(strstr(out, "hashedvalue") == NULL);
	free(err);
	free(out);
	pt_free(&t);

	/* deprecated list form, expire default true → lastchg 0 */
	CHECK_INT(pt_init(&t, "chpasswd:\n  list: |\n    root:Plain-1\n    daemon:$6$s$h\n"), 0);
	CHECK_INT(run_captured(&t, &mod_set_passwords, &err, &out), 0);
	char *l1 = shadow_line(&t, "root");
	check_pw(l1, "root", "Plain-1", "0");
	free(l1);
	l1 = shadow_line(&t, "daemon");
	CHECK_STR(l1, "daemon:$6$s$h:0:0:99999:7:::");
	free(l1);
	CHECK(strstr(out, "Plain-1") == NULL);
	free(err);
	free(out);
	pt_free(&t);

	/* errors */
	CHECK_INT(pt_init(&t, "chpasswd:\n  list: [nocolon]\n"), 0);
	CHECK_INT(run_captured(&t, &mod_set_passwords, &err, &out), -1);
	CHECK(strstr(err, "chpasswd.list[0]") != NULL);
	free(err);
	free(out);
	pt_free(&t);
	CHECK_INT(pt_init(&t, "chpasswd:\n  users: [{name: ghost, password: x, type: text}]\n"), 0);
	CHECK_INT(run_captured(&t, &mod_set_passwords, &err, &out), -1);
	CHECK(strstr(err, "ghost") != NULL);
	CHECK(strstr(out, "x\n") == NULL);
	free(err);
	free(out);
	pt_free(&t);
}

static void test_password_pwauth(void)
{
	t_group("password: for the default user; ssh_pwauth");
	struct pt t;
	CHECK_INT(pt_init(&t, "password: Def-Pass\nssh_pwauth: true\n"), 0);
	CHECK_INT(pt_put(&t, "/etc/ssh/sshd_config", "# comment\nPort   22\nPasswordAuthentication no\n", 0644), 0);
	char *err, *out;
	CHECK_INT(run_captured(&t, &mod_users_groups, &err, &out), 0);
	free(err);
	free(out);
	CHECK_INT(run_captured(&t, &mod_set_passwords, &err, &out), 0);
	CHECK_STR(err, "");
	char *l = shadow_line(&t, "debian");
	check_pw(l, "debian", "Def-Pass", "0");
	free(l);
	CHECK(strstr(out, "Def-Pass") == NULL);
	free(err);
	free(out);
	char *cfg = pt_read(&t, "/etc/ssh/sshd_config");
	CHECK_STR(cfg, "# comment\nPort 22\nPasswordAuthentication yes\n");
	free(cfg);
	CHECK_INT(pt_stat(&t, "/etc/ssh/sshd_config").st_mode & 07777, 0644);
	pt_free(&t);

	/* Debian 12: the Include line sends it to the drop-in (0600) */
	CHECK_INT(pt_init(&t, "ssh_pwauth: no\n"), 0);
	CHECK_INT(pt_put(&t, "/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\n", 0644), 0);
	CHECK_INT(run_captured(&t, &mod_set_passwords, &err, &out), 0);
	cfg = pt_read(&t, "/etc/ssh/sshd_config.d/50-cloud-init.conf");
	CHECK_STR(cfg, "PasswordAuthentication no\n");
	free(cfg);
	CHECK_INT(pt_stat(&t, "/etc/ssh/sshd_config.d/50-cloud-init.conf").st_mode & 07777, 0600);
	free(err);
	free(out);
	pt_free(&t);

	/* no OpenSSH: nothing written, no failure; users without default: password ignored */
	CHECK_INT(pt_init(&t, "ssh_pwauth: yes\npassword: x\nusers: [alice]\n"), 0);
	CHECK_INT(run_captured(&t, &mod_set_passwords, &err, &out), 0);
	CHECK_INT(pt_stat(&t, "/etc/ssh").st_mode, 0);
	free(err);
	free(out);
	pt_free(&t);
}

int main(void)
{
	test_chpasswd();
	test_password_pwauth();
	return t_done();
}
