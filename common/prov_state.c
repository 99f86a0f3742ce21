/* cloud-init's /var/lib/cloud and /run/cloud-init state (common/prov_state.h). */
#include "prov_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "jsonw.h"

const char *const prov_status_keys[PROV_NSTAGES] = {"init-local", "init", "modules-init",
                                                    "modules-config", "modules-final"};

static char *under_root(const char *root, const char *abs)
{
	if (!root || !root[0] || strcmp(root, "/") == 0)
		return strdup(abs);
	return fs_join(root, abs);
}

int prov_paths_init(struct prov_paths *p, const char *root, const char *state_dir,
                    const char *run_dir)
{
	p->root = strdup(root && root[0] ? root : "/");
	p->state = state_dir ? strdup(state_dir) : under_root(root, "/var/lib/cloud");
	p->run = run_dir ? strdup(run_dir) : under_root(root, "/run/cloud-init");
	if (!p->root || !p->state || !p->run) {
		prov_paths_free(p);
		return -1;
	}
	return 0;
}

void prov_paths_free(struct prov_paths *p)
{
	free(p->root);
	free(p->state);
	free(p->run);
	memset(p, 0, sizeof(*p));
}

char *prov_state_path(const struct prov_paths *p, const char *rel)
{
	return fs_join(p->state, rel);
}

static void chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

/* Reads the first line of path into out; 0 or -1. */
static int read_line(const char *path, char *out, size_t cap)
{
	struct strbuf b = STRBUF_INIT;
	int rc = fs_read_file(path, &b, 65536);
	if (rc == 0) {
		snprintf(out, cap, "%s", sb_str(&b));
		chomp(out);
	}
	sb_free(&b);
	return rc;
}

int prov_boot_id(const char *file, char *out, size_t cap)
{
	if (file)
		return read_line(file, out, cap);
	if (read_line("/proc/sys/kernel/random/boot_id", out, cap) == 0 && out[0])
		return 0;
	struct strbuf b = STRBUF_INIT;
	int rc = -1;
	if (fs_read_file("/proc/stat", &b, 1 << 20) == 0) {
		const char *bt = strstr(sb_str(&b), "\nbtime ");
		if (bt) {
			snprintf(out, cap, "btime-%lld", atoll(bt + 7));
			rc = 0;
		}
	}
	sb_free(&b);
	return rc;
}

int prov_state_boot(const struct prov_paths *p, const char *boot_id, int dry_run)
{
	char *path = prov_state_path(p, "data/boot-id");
	char old[128] = "";
	if (!path)
		return 1;
	int same = read_line(path, old, sizeof(old)) == 0 && strcmp(old, boot_id) == 0;
	if (!same && !dry_run) {
		struct strbuf b = STRBUF_INIT;
		char *dir = prov_state_path(p, "data");
		sb_printf(&b, "%s\n", boot_id);
		if (dir && fs_mkdir_p(dir, 0755) == 0)
			prov_state_write(path, b.data, b.len, 0644);
		free(dir);
		sb_free(&b);
	}
	free(path);
	return !same;
}

char *prov_state_iid_dirname(const char *iid)
{
	char *d = strdup(iid[0] ? iid : "_");
	for (char *c = d; c && *c; c++)
		if (*c == '/')
			*c = '_';
	return d;
}

static int write_text(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = fs_join(dir, name);
	int rc = path ? prov_state_write(path, text, strlen(text), mode) : -1;
	free(path);
	return rc;
}

int prov_state_instancify(const struct prov_paths *p, const char *iid, const char *ds_desc,
                          int dry_run, char **dir, struct strbuf *err)
{
	char *name = prov_state_iid_dirname(iid);
	struct strbuf rel = STRBUF_INIT;
	sb_printf(&rel, "instances/%s", name ? name : "_");
	*dir = prov_state_path(p, sb_str(&rel));
	char *data = prov_state_path(p, "data");
	char *iidfile = prov_state_path(p, "data/instance-id");
	char old[512] = "";
	int rc = -1;
	if (!name || !*dir || !data || !iidfile)
		goto out;
	int have_old = read_line(iidfile, old, sizeof(old)) == 0;
	int is_new = !have_old || strcmp(old, iid) != 0;
	if (dry_run) {
		rc = is_new;
		goto out;
	}
	static const char *const base[] = {"data", "handlers", "instances", "scripts/per-boot",
	                                   "scripts/per-instance", "scripts/per-once",
	                                   "scripts/vendor", "seed", "sem", NULL};
	static const char *const sub[] = {"sem", "scripts", "scripts/vendor", "boothooks",
	                                  "handlers", "data", NULL};
	for (int i = 0; base[i]; i++) {
		char *d = prov_state_path(p, base[i]);
		int e = d ? fs_mkdir_p(d, 0755) : -1;
		free(d);
		if (e < 0) {
			sb_printf(err, "%s/%s: %s", p->state, base[i], strerror(errno));
			goto out;
		}
	}
	for (int i = 0; sub[i]; i++) {
		char *d = fs_join(*dir, sub[i]);
		int e = d ? fs_mkdir_p(d, 0755) : -1;
		free(d);
		if (e < 0) {
			sb_printf(err, "%s/%s: %s", *dir, sub[i], strerror(errno));
			goto out;
		}
	}
	/* the instance symlink, replaced atomically */
	char *link = prov_state_path(p, "instance");
	char *tmp = prov_state_path(p, ".instance.tmp");
	struct strbuf target = STRBUF_INIT;
	sb_printf(&target, "%s/instances/%s", strcmp(p->root, "/") == 0 ? p->state : "/var/lib/cloud",
	          name);
	int lrc = -1;
	if (link && tmp) {
		unlink(tmp);
		lrc = symlink(sb_str(&target), tmp) == 0 && rename(tmp, link) == 0 ? 0 : -1;
	}
	if (lrc < 0)
		sb_printf(err, "%s: %s", link ? link : "instance", strerror(errno));
	free(link);
	free(tmp);
	sb_free(&target);
	if (lrc < 0)
		goto out;
	struct strbuf t = STRBUF_INIT;
	if (is_new) {
		sb_printf(&t, "%s\n", have_old ? old : "NO_PREVIOUS_INSTANCE_ID");
		if (write_text(data, "previous-instance-id", sb_str(&t), 0644) < 0)
			goto fail;
		sb_reset(&t);
	}
	sb_printf(&t, "%s\n", iid);
	if (write_text(data, "instance-id", sb_str(&t), 0644) < 0)
		goto fail;
	if (fs_mkdir_p(p->run, 0755) == 0)
		write_text(p->run, ".instance-id", sb_str(&t), 0644);
	sb_reset(&t);
	if (ds_desc) {
		const char *sp = strchr(ds_desc, ' ');
		sb_printf(&t, "%.*s: %s\n", sp ? (int)(sp - ds_desc) : (int)strlen(ds_desc), ds_desc,
		          ds_desc);
		if (write_text(*dir, "datasource", sb_str(&t), 0644) < 0)
			goto fail;
	}
	sb_free(&t);
	rc = is_new;
	goto out;
fail:
	sb_printf(err, "%s: %s", p->state, strerror(errno));
	sb_free(&t);
out:
	if (rc < 0 && err->len == 0)
		sb_printf(err, "%s: %s", p->state, strerror(errno ? errno : ENOMEM));
	free(name);
	free(data);
	free(iidfile);
	sb_free(&rel);
	return rc;
}

/* ---- semaphores ---------------------------------------------------------- */

int prov_sem_path(const struct prov_paths *p, const char *instance_dir, const char *module,
                  enum prov_freq freq, char **path)
{
	*path = NULL;
	if (freq == FREQ_ALWAYS)
		return 0;
	struct strbuf b = STRBUF_INIT;
	sb_puts(&b, "sem/config_");
	for (const char *c = module; *c; c++)
		sb_putc(&b, *c == '-' ? '_' : *c);
	if (freq == FREQ_ONCE) {
		sb_puts(&b, ".once");
		*path = prov_state_path(p, sb_str(&b));
	} else {
		*path = fs_join(instance_dir, sb_str(&b));
	}
	sb_free(&b);
	return *path ? 0 : -1;
}

int prov_sem_has(const char *path)
{
	return path && access(path, F_OK) == 0;
}

static double now_f(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int prov_state_write(const char *path, const void *data, size_t len, mode_t mode)
{
	fs_atomic_remove_stale(path); /* best effort: the write below matters */
	return fs_write_atomic(path, data, len, mode);
}

int prov_sem_write(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return -1;
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int rc = fs_mkdir_p(dir, 0755);
	free(dir);
	if (rc < 0)
		return -1;
	struct strbuf b = STRBUF_INIT;
	struct jsonw w;
	sb_printf(&b, "%ld: ", (long)getpid());
	jw_init(&w, &b, 0, 0);
	jw_double(&w, now_f());
	sb_putc(&b, '\n');
	rc = prov_state_write(path, b.data, b.len, 0644);
	sb_free(&b);
	return rc;
}

/* ---- status.json --------------------------------------------------------- */

int prov_status_index(enum prov_stage s)
{
	switch (s) {
	case STAGE_LOCAL: return 0;
	case STAGE_NETWORK: return 1;
	case STAGE_CONFIG: return 3;
	case STAGE_FINAL: return 4;
	}
	return 1;
}

void prov_status_init(struct prov_status *s)
{
	memset(s, 0, sizeof(*s));
	s->stage = -1;
	for (int i = 0; i < PROV_NSTAGES; i++)
		s->st[i].start = s->st[i].finished = -1;
}

void prov_status_free(struct prov_status *s)
{
	free(s->datasource);
	for (int i = 0; i < PROV_NSTAGES; i++) {
		for (size_t j = 0; j < s->st[i].nerrors; j++)
			free(s->st[i].errors[j]);
		free(s->st[i].errors);
	}
	prov_status_init(s);
}

int prov_status_add_error(struct prov_status *s, int i, const char *msg)
{
	struct prov_stage_status *st = &s->st[i];
	char **v = realloc(st->errors, (st->nerrors + 1) * sizeof(*v));
	if (!v)
		return -1;
	st->errors = v;
	if (!(v[st->nerrors] = strdup(msg)))
		return -1;
	st->nerrors++;
	return 0;
}

static double num(const struct ynode *n)
{
	if (n && (n->kind == Y_INT || n->kind == Y_FLOAT))
		return n->kind == Y_INT && !n->big ? (double)n->i : n->f;
	return -1;
}

int prov_state_read_json(const struct prov_paths *p, const char *rel, struct ydoc **doc,
                         struct strbuf *err)
{
	*doc = NULL;
	char *path = prov_state_path(p, rel);
	struct strbuf b = STRBUF_INIT;
	if (!path)
		return -1;
	if (fs_read_file(path, &b, 4 << 20) < 0) {
		int e = errno;
		if (e != ENOENT && err)
			sb_printf(err, "%s: %s", path, strerror(e));
		free(path);
		return e == ENOENT ? 1 : -1;
	}
	struct yaml_error ye = {0};
	*doc = json_parse(sb_str(&b), b.len, &ye);
	sb_free(&b);
	if (!*doc && err)
		sb_printf(err, "%s: %s", path, ye.message ? ye.message : "malformed JSON");
	yaml_error_free(&ye);
	free(path);
	return *doc ? 0 : -1;
}

int prov_status_load(const struct prov_paths *p, struct prov_status *s, struct strbuf *err)
{
	prov_status_init(s);
	struct ydoc *d = NULL;
	int rc = prov_state_read_json(p, "data/status.json", &d, err);
	if (rc != 0)
		return rc;
	const struct ynode *v1 = ymap_get(ydoc_root(d), "v1");
	if (!v1 || v1->kind != Y_MAP) {
		if (err)
			sb_printf(err, "%s/data/status.json: no \"v1\" object", p->state);
		ydoc_free(d);
		return -1;
	}
	const char *ds = ymap_get_str(v1, "datasource");
	s->datasource = ds ? strdup(ds) : NULL;
	const char *stage = ymap_get_str(v1, "stage");
	for (int i = 0; i < PROV_NSTAGES; i++) {
		if (stage && strcmp(stage, prov_status_keys[i]) == 0)
			s->stage = i;
		const struct ynode *st = ymap_get(v1, prov_status_keys[i]);
		s->st[i].start = num(ymap_get(st, "start"));
		s->st[i].finished = num(ymap_get(st, "finished"));
		const struct ynode *errs = ymap_get(st, "errors");
		for (size_t j = 0; j < ynode_count(errs) && errs->kind == Y_SEQ; j++)
			if (ynode_str(errs->items[j]))
				prov_status_add_error(s, i, errs->items[j]->str);
	}
	ydoc_free(d);
	return 0;
}

static void time_or_null(struct jsonw *w, double t)
{
	if (t < 0)
		jw_null(w);
	else
		jw_double(w, t);
}

int prov_status_json(const struct prov_status *s, struct strbuf *out)
{
	struct jsonw w;
	jw_init(&w, out, 1, 1);
	jw_obj_begin(&w);
	jw_key(&w, "v1");
	jw_obj_begin(&w);
	jw_key(&w, "datasource");
	jw_str(&w, s->datasource);
	/* sort_keys: init, init-local, modules-config, modules-final, modules-init, stage */
	static const int order[PROV_NSTAGES] = {1, 0, 3, 4, 2};
	for (int k = 0; k < PROV_NSTAGES; k++) {
		const struct prov_stage_status *st = &s->st[order[k]];
		jw_key(&w, prov_status_keys[order[k]]);
		jw_obj_begin(&w);
		jw_key(&w, "errors");
		jw_arr_begin(&w);
		for (size_t j = 0; j < st->nerrors; j++)
			jw_str(&w, st->errors[j]);
		jw_arr_end(&w);
		jw_key(&w, "finished");
		time_or_null(&w, st->finished);
		jw_key(&w, "start");
		time_or_null(&w, st->start);
		jw_obj_end(&w);
	}
	jw_key(&w, "stage");
	jw_str(&w, s->stage >= 0 ? prov_status_keys[s->stage] : NULL);
	jw_obj_end(&w);
	jw_obj_end(&w);
	sb_putc(out, '\n');
	return jw_error(&w);
}

/* Writes STATE/data/NAME and the relative link RUN/NAME. */
static int save_with_link(const struct prov_paths *p, const char *name, const struct strbuf *b)
{
	char *data = prov_state_path(p, "data");
	char *path = data ? fs_join(data, name) : NULL;
	char *link = fs_join(p->run, name);
	int rc = -1;
	if (path && link && fs_mkdir_p(data, 0755) == 0 &&
	    prov_state_write(path, b->data, b->len, 0644) == 0) {
		rc = 0;
		if (fs_mkdir_p(p->run, 0755) == 0) {
			/* ../../var/lib/cloud/data/NAME when both are in their usual places */
			char target[4096];
			size_t rl = strlen(p->root);
			if (strcmp(p->root, "/") == 0)
				snprintf(target, sizeof(target), "%s", path);
			else if (strncmp(path, p->root, rl) == 0)
				snprintf(target, sizeof(target), "%s", path + rl);
			else
				snprintf(target, sizeof(target), "%s", path);
			if (strcmp(target, "/var/lib/cloud/data/status.json") == 0 ||
			    strcmp(target, "/var/lib/cloud/data/result.json") == 0)
				snprintf(target, sizeof(target), "../../var/lib/cloud/data/%s", name);
			unlink(link);
			if (symlink(target, link) < 0)
				rc = -1;
		}
	}
	free(data);
	free(path);
	free(link);
	return rc;
}

int prov_status_save(const struct prov_paths *p, const struct prov_status *s)
{
	struct strbuf b = STRBUF_INIT;
	int rc = prov_status_json(s, &b) == 0 ? save_with_link(p, "status.json", &b) : -1;
	sb_free(&b);
	return rc;
}

int prov_result_save(const struct prov_paths *p, const struct prov_status *s)
{
	struct strbuf b = STRBUF_INIT;
	struct jsonw w;
	jw_init(&w, &b, 1, 1);
	jw_obj_begin(&w);
	jw_key(&w, "v1");
	jw_obj_begin(&w);
	jw_key(&w, "datasource");
	jw_str(&w, s->datasource);
	jw_key(&w, "errors");
	jw_arr_begin(&w);
	for (int i = 0; i < PROV_NSTAGES; i++)
		for (size_t j = 0; j < s->st[i].nerrors; j++)
			jw_str(&w, s->st[i].errors[j]);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
	sb_putc(&b, '\n');
	int rc = jw_error(&w) == 0 ? save_with_link(p, "result.json", &b) : -1;
	sb_free(&b);
	return rc;
}

void prov_status_clear(const struct prov_paths *p)
{
	static const char *const names[] = {"status.json", "result.json"};
	for (int i = 0; i < 2; i++) {
		char *a = fs_join(p->run, names[i]);
		char *data = prov_state_path(p, "data");
		char *b = data ? fs_join(data, names[i]) : NULL;
		if (a)
			unlink(a);
		if (b)
			unlink(b);
		free(a);
		free(b);
		free(data);
	}
}

int prov_result_exists(const struct prov_paths *p)
{
	char *path = prov_state_path(p, "data/result.json");
	int rc = path && access(path, F_OK) == 0;
	free(path);
	return rc;
}
