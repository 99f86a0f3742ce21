/* common/mod_users_groups.c (and prov_users, pwdb, prov_sshkeys) on a
 * --root tree (cloud-init.md §4.2). */
#include <fcntl.h>

#include "provtest.h"
#include "prov_users.h"
#include "sha512crypt.h"
#include "testlib.h"

extern const struct prov_module mod_users_groups;

static int has_line(struct pt *t, const char *abs, const char *line)
{
	char *text = pt_read(t, abs);
	int found = 0;
	for (char *p = text; p && *p && !found;) {
		size_t l = strcspn(p, "\n");
		found = strlen(line) == l && !strncmp(p, line, l);
		p += l + (p[l] ? 1 : 0);
	}
	free(text);
	return found;
}

/* The shadow password field of user (malloc'd). */
static char *shadow_pw(struct pt *t, const char *user)
{
	char *line = pt_entry(t, "/etc/shadow", user);
	char *res = line ? strndup(line + strlen(user) + 1, strcspn(line + strlen(user) + 1, ":")) : NULL;
	free(line);
	return res;
}

static void test_normalize(void)
{
	t_group("normalize (ug_util semantics)");
	struct pt t;
	struct strbuf err = STRBUF_INIT;
	struct ugroups ug;
	CHECK_INT(pt_init(&t, "users:\n- {name: default, shell: /bin/sh, groups: zz}\n"
	                     "- {name: bob, uid: 5}\n- {name: bob, uid: 6, gecos: B}\n- 'carol, dave'\n"
	                     "groups: [a, {b: [x, y]}, {b: w}]\n"), 0);
	CHECK_INT(prov_users_normalize(t.ctx.cfg, &ug, &err), 0);
	CHECK_INT(ug.nusers, 4);
	CHECK_STR(ug.users[0].name, "bob");
	CHECK_INT(uentry_get(&ug.users[0], "uid")->i, 5); /* first wins */
	CHECK_STR(ynode_str(uentry_get(&ug.users[0], "gecos")), "B");
	CHECK_STR(ug.users[1].name, "carol");
	CHECK_STR(ug.users[2].name, " dave");
	CHECK_STR(ug.users[3].name, "debian");
	CHECK(ug.users[3].is_default);
	CHECK_STR(ynode_str(uentry_get(&ug.users[3], "shell")), "/bin/bash");
	CHECK_STR(ynode_str(uentry_get(&ug.users[3], "groups")), "zz");
	CHECK_INT(ug.ngroups, 2);
	CHECK_STR(ug.groups[1].name, "b");
	CHECK_INT(ug.groups[1].n, 3);
	CHECK_STR(ug.groups[1].members[0], "w");
	prov_users_free(&ug);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "user: {name: joe, shell: /bin/zsh}\nusers: [default]\n"), 0);
	CHECK_INT(prov_users_normalize(t.ctx.cfg, &ug, &err), 0);
	CHECK_INT(ug.nusers, 1);
	CHECK_STR(ug.users[0].name, "joe");
	CHECK_STR(ynode_str(uentry_get(&ug.users[0], "shell")), "/bin/zsh");
	CHECK_STR(ynode_str(uentry_get(&ug.users[0], "groups")), PROV_DEFAULT_GROUPS);
	prov_users_free(&ug);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "users: [{name: debian, groups: [x]}, default]\n"), 0);
	CHECK_INT(prov_users_normalize(t.ctx.cfg, &ug, &err), 0);
	CHECK_STR(ynode_str(uentry_get(&ug.users[0], "groups")), PROV_DEFAULT_GROUPS ",x");
	prov_users_free(&ug);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "users: [alice]\n"), 0);
	CHECK_INT(prov_users_normalize(t.ctx.cfg, &ug, &err), 0);
	CHECK(prov_users_default(&ug) == NULL);
	prov_users_free(&ug);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "groups: 'devs, qa ,ops'\n"), 0);
	CHECK_INT(prov_users_normalize(t.ctx.cfg, &ug, &err), 0);
	CHECK_INT(ug.ngroups, 3);
	CHECK_STR(ug.groups[1].name, " qa ");
	prov_users_free(&ug);
	pt_free(&t);

	CHECK_INT(pt_init(&t, "groups: [[1]]\n"), 0);
	CHECK_INT(prov_users_normalize(t.ctx.cfg, &ug, &err), -1);
	CHECK(strstr(sb_str(&err), "groups[0]") != NULL);
	pt_free(&t);
	sb_free(&err);
}

static void test_default_user(void)
{
	t_group("no users key: the Debian default user");
	struct pt t;
	CHECK_INT(pt_init(&t, "hostname: x\n"), 0);
	char *err;
	CHECK_INT(pt_run(&t, &mod_users_groups, &err), 0);
	CHECK_STR(err, "");
	free(err);
	/* netdev is missing in the tree: created first (gid 1000), so the
	 * user's private group cannot take gid == uid, as with useradd */
	CHECK(has_line(&t, "/etc/group", "netdev:x:1000:debian"));
	CHECK(has_line(&t, "/etc/passwd", "debian:x:1000:1001:Debian:/home/debian:/bin/bash"));
	CHECK(has_line(&t, "/etc/group", "debian:x:1001:"));
	CHECK(has_line(&t, "/etc/group", "sudo:x:27:debian"));
	CHECK(has_line(&t, "/etc/group", "adm:x:4:debian"));
	CHECK(has_line(&t, "/etc/gshadow", "sudo:*::debian"));
	CHECK(has_line(&t, "/etc/group", "cdrom:x:24:debian"));
	char *pw = shadow_pw(&t, "debian");
	CHECK_STR(pw, "!");
	free(pw);
	struct stat st = pt_stat(&t, "/etc/shadow");
	CHECK_INT(st.st_mode & 07777, 0640);
	st = pt_stat(&t, "/home/debian");
	CHECK(S_ISDIR(st.st_mode));
	CHECK_INT(st.st_uid, 1000);
	CHECK_INT(st.st_gid, 1001);
	char *skel = pt_read(&t, "/home/debian/.bashrc");
	CHECK_STR(skel, "# skel bashrc\n");
	free(skel);
	CHECK_INT(pt_stat(&t, "/home/debian/.bashrc").st_uid, 1000);
	char *sudo = pt_read(&t, "/etc/sudoers.d/90-cloud-init-users");
	CHECK(sudo && !strncmp(sudo, "# Created by egs v. ", 20));
	CHECK(sudo && strstr(sudo, "\n\n# User rules for debian\ndebian ALL=(ALL) NOPASSWD:ALL\n"));
	free(sudo);
	CHECK_INT(pt_stat(&t, "/etc/sudoers.d/90-cloud-init-users").st_mode & 07777, 0440);
	CHECK_INT(pt_stat(&t, "/etc/sudoers.d").st_mode & 07777, 0750);
	char *sudoers = pt_read(&t, "/etc/sudoers");
	CHECK(sudoers && strstr(sudoers, "\n#includedir /etc/sudoers.d\n"));
	free(sudoers);
	pt_free(&t);
}

static void test_users(void)
{
	t_group("users list, groups with members, passwords, keys, duplicates");
	struct pt t;
	CHECK_INT(pt_init(&t,
	          "groups:\n  - admins: [daemon, ghost]\n  - 'devs, qa'\n  - {ops: daemon}\n"
	          "users:\n"
	          "  - name: bob\n    uid: 1500\n    gecos: Bob B\n    groups: 'admins, wheel'\n"
	          "    shell: /bin/zsh\n    lock_passwd: false\n"
	          "    hashed_passwd: $6$abc$XYZhashvalue\n"
	          "    sudo: ['ALL=(ALL) ALL', 'ALL=(root) NOPASSWD: /bin/true']\n"
	          "    ssh_authorized_keys:\n"
	          "      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBobBobBobBobBobBobBobBobBobBobBobBobBobBob00 bob@x\n"
	          "      - not a key\n"
	          "  - name: carol\n    plain_text_passwd: Sup3r-Secret!\n    sudo: false\n"
	          "    primary_group: staff\n    groups: [users]\n"
	          "  - name: daemon\n    gecos: ignored for existing users\n    sudo: 'ALL=(ALL) ALL'\n"
	          "  - name: svc\n    system: true\n    shell: /usr/sbin/nologin\n"
	          "  - name: bob\n    uid: 9999\n"
	          "  - name: nohome\n    no_create_home: true\n    lock_passwd: false\n"
	          "  - name: ec\n    homedir: /srv/ec\n"),
	          0);
	/* capture the log: no password may appear in it */
	fflush(stderr);
	int saved = dup(2);
	char logpath[] = "/tmp/egs-modtest-log-XXXXXX";
	int lfd = mkstemp(logpath);
	dup2(lfd, 2);
	char *err;
	int rc = pt_run(&t, &mod_users_groups, &err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(lfd);
	CHECK_INT(rc, 0);
	CHECK_STR(err, "");
	free(err);
	struct strbuf log = STRBUF_INIT;
	CHECK_INT(fs_read_file(logpath, &log, 0), 0);
	unlink(logpath);
	CHECK(strstr(sb_str(&log), "Sup3r-Secret!") == NULL);
	CHECK(strstr(sb_str(&log), "XYZhashvalue") == NULL);
	CHECK(strstr(sb_str(&log), "ghost") != NULL); /* member warning */
	sb_free(&log);

	CHECK(has_line(&t, "/etc/group", "admins:x:1000:daemon,bob"));
	/* a list item 'devs, qa' is one (invalid) group name: logged only */
	CHECK(!has_line(&t, "/etc/group", "devs:x:1001:"));
	CHECK(has_line(&t, "/etc/group", "ops:x:1001:daemon"));
	CHECK(has_line(&t, "/etc/group", "wheel:x:1002:bob"));
	CHECK(has_line(&t, "/etc/passwd", "bob:x:1500:1500:Bob B:/home/bob:/bin/zsh"));
	char *pw = shadow_pw(&t, "bob");
	CHECK_STR(pw, "$6$abc$XYZhashvalue"); /* lock_passwd: false keeps it usable */
	free(pw);
	/* carol: plain text hashed ($6$), then locked (lock_passwd default) */
	pw = shadow_pw(&t, "carol");
	CHECK(pw && !strncmp(pw, "!$6$", 4) && strlen(pw) == 107);
	if (pw) {
		char again[SHA512CRYPT_MAX];
		CHECK_INT(sha512crypt("Sup3r-Secret!", pw + 1, again, sizeof(again)), 0);
		CHECK_STR(again, pw + 1);
	}
	free(pw);
	/* groupadd staff: highest gid in 1000..60000 (bob's 1500) + 1 */
	CHECK(has_line(&t, "/etc/group", "staff:x:1501:"));
	CHECK(has_line(&t, "/etc/passwd", "carol:x:1501:1501::/home/carol:/bin/sh"));
	CHECK(has_line(&t, "/etc/group", "users:x:100:carol"));
	/* existing daemon: passwd untouched, but sudo applies */
	CHECK(has_line(&t, "/etc/passwd", "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin"));
	char *sudo = pt_read(&t, "/etc/sudoers.d/90-cloud-init-users");
	CHECK(sudo && strstr(sudo, "\n# User rules for bob\nbob ALL=(ALL) ALL\nbob ALL=(root) NOPASSWD: /bin/true\n"
	                         "\n# User rules for daemon\ndaemon ALL=(ALL) ALL\n"));
	CHECK(sudo && !strstr(sudo, "carol"));
	free(sudo);
	/* system user: system range from the top, no home, no aging */
	CHECK(has_line(&t, "/etc/passwd", "svc:x:999:999::/home/svc:/usr/sbin/nologin"));
	CHECK_INT(pt_stat(&t, "/home/svc").st_mode, 0);
	char *sh = pt_read(&t, "/etc/shadow");
	CHECK(sh && strstr(sh, "\nsvc:!:") && strstr(sh, "::::::\n"));
	free(sh);
	CHECK_INT(pt_stat(&t, "/home/nohome").st_mode, 0);
	CHECK(has_line(&t, "/etc/passwd", "ec:x:1503:1503::/srv/ec:/bin/sh"));
	CHECK(S_ISDIR(pt_stat(&t, "/srv/ec").st_mode));
	/* no default user: users given without `default` */
	CHECK(!has_line(&t, "/etc/group", "debian:x:1000:"));
	/* keys: .ssh 0700, file 0600, owned by bob, invalid line dropped */
	struct stat st = pt_stat(&t, "/home/bob/.ssh");
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(st.st_uid, 1500);
	st = pt_stat(&t, "/home/bob/.ssh/authorized_keys");
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_uid, 1500);
	CHECK_INT(st.st_gid, 1500);
	char *ak = pt_read(&t, "/home/bob/.ssh/authorized_keys");
	CHECK_STR(ak, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBobBobBobBobBobBobBobBobBobBobBobBobBobBob00 bob@x\n");
	free(ak);
	/* file modes kept */
	CHECK_INT(pt_stat(&t, "/etc/passwd").st_mode & 07777, 0644);
	CHECK_INT(pt_stat(&t, "/etc/gshadow").st_mode & 07777, 0640);
	pt_free(&t);
}

static void test_errors(void)
{
	t_group("invalid combinations");
	static const char *const bad[][2] = {
		{"users:\n- name: a\n  system: true\n  ssh_authorized_keys: [x]\n", "cannot be provided with system"},
		{"users:\n- name: a\n  ssh_redirect_user: maybe\n", "Invalid value of ssh_redirect_user"},
		{"users:\n- name: 'a:b'\n", "not a valid user name"},
		{"users:\n- name: a\n  sudo: 5\n", "users.a.sudo"},
		{"users:\n- name: a\n  primary_group: nonexist\n", "group 'nonexist' does not exist"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pt t;
		CHECK_INT(pt_init(&t, bad[i][0]), 0);
		char *err;
		CHECK_INT(pt_run(&t, &mod_users_groups, &err), -1);
		CHECK(strstr(err, bad[i][1]) != NULL);
		if (!strstr(err, bad[i][1]))
			fprintf(stderr, "  got: %s\n", err);
		free(err);
		pt_free(&t);
	}
	/* redirect: cloud keys with the "login as" prefix */
	struct pt t;
	CHECK_INT(pt_init(&t, "users:\n- default\n- name: ops\n  ssh_redirect_user: true\n"), 0);
	char *err;
	CHECK_INT(pt_run(&t, &mod_users_groups, &err), 0);
	free(err);
	char *ak = pt_read(&t, "/home/ops/.ssh/authorized_keys");
	CHECK(ak && strstr(ak, "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo "
	                       "'Please login as the user \\\"debian\\\" rather than the user \\\"ops\\\".';"
	                       "echo;sleep 10;exit 142\" ssh-ed25519 AAAAC3"));
	free(ak);
	pt_free(&t);
}

int main(void)
{
	test_normalize();
	test_default_user();
	test_users();
	test_errors();
	return t_done();
}
