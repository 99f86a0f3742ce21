/* Helpers for the provisioning-module tests (tests/unit/test_mod_*.c):
 * a throw-away --root tree with its own etc/passwd, shadow, group,
 * gshadow, skel and hosts, and a struct prov_ctx over a cloud-config
 * string. Nothing here touches the machine's own /etc. */
#ifndef EGS_PROVTEST_H
#define EGS_PROVTEST_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "prov.h"
#include "strbuf.h"
#include "yaml.h"

struct pt {
	char root[64];
	char state[128], inst[160];
	struct prov_ctx ctx;
	struct prov_meta meta;
	char *keys[3];
};

static __attribute__((unused)) int pt_put(struct pt *t, const char *abs, const char *text,
                                          mode_t mode)
{
	char *p = fs_join(t->root, abs);
	char *dir = strdup(p);
	*strrchr(dir, '/') = '\0';
	int rc = fs_mkdir_p(dir, 0755) == 0 ? fs_write_atomic(p, text, strlen(text), mode) : -1;
	free(dir);
	free(p);
	return rc;
}

/* Returns the file's text (malloc'd) or NULL. */
static __attribute__((unused)) char *pt_read(struct pt *t, const char *abs)
{
	char *p = fs_join(t->root, abs);
	struct strbuf sb = STRBUF_INIT;
	int rc = fs_read_file(p, &sb, 0);
	free(p);
	if (rc < 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

/* stat of ROOT/abs; st_mode 0 when missing. */
static __attribute__((unused)) struct stat pt_stat(struct pt *t, const char *abs)
{
	struct stat st;
	char *p = fs_join(t->root, abs);
	if (lstat(p, &st) < 0)
		memset(&st, 0, sizeof(st));
	free(p);
	return st;
}

/* The line of abs whose first ':' field is name (malloc'd), or NULL. */
static __attribute__((unused)) char *pt_entry(struct pt *t, const char *abs, const char *name)
{
	char *text = pt_read(t, abs);
	char *res = NULL;
	size_t nl = strlen(name);
	for (char *p = text; p && *p && !res;) {
		size_t l = strcspn(p, "\n");
		if (!strncmp(p, name, nl) && p[nl] == ':')
			res = strndup(p, l);
		p += l + (p[l] ? 1 : 0);
	}
	free(text);
	return res;
}

static const char pt_passwd[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char pt_shadow[] =
	"root:*:19000:0:99999:7:::\n"
	"daemon:*:19000:0:99999:7:::\n"
	"nobody:*:19000:0:99999:7:::\n";
static const char pt_group[] =
	"root:x:0:\ndaemon:x:1:\nadm:x:4:\ndialout:x:20:\ncdrom:x:24:\nfloppy:x:25:\nsudo:x:27:\n"
	"audio:x:29:\ndip:x:30:\nshadow:x:42:\nvideo:x:44:\nplugdev:x:46:\nusers:x:100:\n"
	"nogroup:x:65534:\n";
static const char pt_gshadow[] =
	"root:*::\ndaemon:*::\nadm:*::\ndialout:*::\ncdrom:*::\nfloppy:*::\nsudo:*::\naudio:*::\n"
	"dip:*::\nshadow:*::\nvideo:*::\nplugdev:*::\nusers:*::\nnogroup:*::\n";

/* Builds the tree and the context for cloud-config text yaml. */
static __attribute__((unused)) int pt_init(struct pt *t, const char *yaml)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->root, sizeof(t->root), "/tmp/egs-modtest-XXXXXX");
	if (!mkdtemp(t->root))
		return -1;
	if (pt_put(t, "/etc/passwd", pt_passwd, 0644) < 0 || pt_put(t, "/etc/shadow", pt_shadow, 0640) < 0 ||
	    pt_put(t, "/etc/group", pt_group, 0644) < 0 || pt_put(t, "/etc/gshadow", pt_gshadow, 0640) < 0 ||
	    pt_put(t, "/etc/skel/.bashrc", "# skel bashrc\n", 0644) < 0 ||
	    pt_put(t, "/etc/skel/.profile", "# skel profile\n", 0644) < 0)
		return -1;
	snprintf(t->state, sizeof(t->state), "%s/var/lib/cloud", t->root);
	snprintf(t->inst, sizeof(t->inst), "%s/instances/iid-test", t->state);
	if (fs_mkdir_p(t->inst, 0755) < 0)
		return -1;
	struct yaml_error ye = {0};
	t->ctx.doc = yaml_load(yaml, strlen(yaml), "<test>", &ye);
	if (!t->ctx.doc) {
		fprintf(stderr, "yaml: %s\n", ye.message);
		yaml_error_free(&ye);
		return -1;
	}
	t->ctx.cfg = ydoc_root(t->ctx.doc);
	t->ctx.root = t->root;
	t->ctx.state_dir = t->state;
	t->ctx.instance_dir = t->inst;
	t->ctx.stage = STAGE_NETWORK;
	t->keys[0] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMetaKeyMetaKeyMetaKeyMetaKeyMetaKey00 meta@ds";
	t->meta.instance_id = "iid-test";
	t->meta.local_hostname = "meta-host";
	t->meta.public_keys = t->keys;
	t->meta.datasource = "NoCloud";
	t->ctx.meta = &t->meta;
	return 0;
}

/* Puts Debian's static busybox (/usr/bin/busybox) at ROOT/bin/sh, for
 * commands the modules run chrooted into ROOT. 0, or -1 when there is
 * none. */
static __attribute__((unused)) int pt_add_shell(struct pt *t)
{
	struct strbuf bb = STRBUF_INIT;
	if (fs_read_file("/usr/bin/busybox", &bb, 0) < 0)
		return -1;
	char *p = fs_join(t->root, "/bin");
	int rc = fs_mkdir_p(p, 0755);
	free(p);
	p = fs_join(t->root, "/bin/sh");
	if (rc == 0)
		rc = fs_write_atomic(p, bb.data, bb.len, 0755);
	free(p);
	sb_free(&bb);
	return rc;
}

static int pt_rm(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static __attribute__((unused)) void pt_free(struct pt *t)
{
	ydoc_free(t->ctx.doc);
	if (t->root[0] && strncmp(t->root, "/tmp/egs-modtest-", 17) == 0 && !getenv("PT_KEEP"))
		nftw(t->root, pt_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs module m on cfg; returns its result, err text in *errout
 * (malloc'd, "" when none). */
static __attribute__((unused)) int pt_run(struct pt *t, const struct prov_module *m, char **errout)
{
	struct strbuf err = STRBUF_INIT;
	t->ctx.stage = m->stage;
	int rc = m->run(&t->ctx, &err);
	*errout = sb_detach(&err);
	return rc;
}

#endif
