/* cloud-init's on-disk state, as egs run keeps it (cloud-init.md §6-§7):
 *   STATE (/var/lib/cloud): data/instance-id, data/previous-instance-id,
 *     data/status.json, data/result.json, instance -> instances/<iid>,
 *     instances/<iid>/{sem,scripts,boothooks,...}, sem/ (per-once),
 *     scripts/per-{boot,instance,once}; egs adds data/boot-id.
 *   RUN (/run/cloud-init): status.json and result.json (relative symlinks
 *     to STATE/data), .instance-id.
 * Both are host paths, already under --root. */
#ifndef EGS_PROV_STATE_H
#define EGS_PROV_STATE_H

#include <stddef.h>
#include <sys/types.h>

#include "prov.h"
#include "strbuf.h"

struct prov_paths {
	char *root;  /* "/" or --root */
	char *state; /* STATE */
	char *run;   /* RUN */
};

/* Fills p: state = state_dir or ROOT/var/lib/cloud, run = run_dir or
 * ROOT/run/cloud-init. Returns 0 or -1 (ENOMEM). */
int prov_paths_init(struct prov_paths *p, const char *root, const char *state_dir,
                    const char *run_dir);
void prov_paths_free(struct prov_paths *p);
/* STATE/rel, malloc'd. */
char *prov_state_path(const struct prov_paths *p, const char *rel);

/* The current boot's id: the first line of file (override; tests), else
 * /proc/sys/kernel/random/boot_id, else "btime-<btime from /proc/stat>".
 * Returns 0 or -1. */
int prov_boot_id(const char *file, char *out, size_t cap);
/* Compares boot_id with STATE/data/boot-id and records it (not in dry
 * run). Returns 1 on a new boot (or the first run), 0 on the same boot. */
int prov_state_boot(const struct prov_paths *p, const char *boot_id, int dry_run);

/* cloud-init's instancify: creates STATE's base dirs and
 * instances/<iid>/{sem,scripts,scripts/vendor,boothooks,handlers,data},
 * points the instance symlink at it, writes data/instance-id,
 * data/previous-instance-id, instances/<iid>/datasource and
 * RUN/.instance-id. *dir gets the malloc'd instance dir. In dry run
 * nothing is written. Returns 1 when the instance is new (the id differs
 * from data/instance-id), 0 when it is the same, -1 with err. */
int prov_state_instancify(const struct prov_paths *p, const char *iid, const char *ds_desc,
                          int dry_run, char **dir, struct strbuf *err);
/* "/" in an instance-id becomes "_" (cloud-init), as a malloc'd copy. */
char *prov_state_iid_dirname(const char *iid);

/* The semaphore file of a module: per-instance INSTANCE/sem/config_<canon
 * name>, per-once STATE/sem/config_<canon name>.once, always: NULL (and
 * *path NULL). Returns 0 or -1 (ENOMEM). */
int prov_sem_path(const struct prov_paths *p, const char *instance_dir, const char *module,
                  enum prov_freq freq, char **path);
/* 1 if the semaphore exists. */
int prov_sem_has(const char *path);
/* Writes "<pid>: <time.time()>\n" (0644), creating sem/. Returns 0 or -1. */
int prov_sem_write(const char *path);
/* fs_write_atomic for the state tree and the instance's files: first
 * removes the temporary file of path that a killed run left (one egs run
 * at a time writes them). Returns 0 or -1 with errno. */
int prov_state_write(const char *path, const void *data, size_t len, mode_t mode);

/* Reads and parses the JSON file STATE/rel into *doc (free with
 * ydoc_free). Returns 0; 1 when the file is missing (*doc NULL); -1 when it
 * is unreadable or not JSON (*doc NULL; err, when not NULL, names the file
 * and the problem). */
struct ydoc;
int prov_state_read_json(const struct prov_paths *p, const char *rel, struct ydoc **doc,
                         struct strbuf *err);

/* status.json's v1 object. */
#define PROV_NSTAGES 5 /* init-local, init, modules-init, modules-config, modules-final */
struct prov_stage_status {
	double start, finished; /* < 0: null */
	char **errors;
	size_t nerrors;
};
struct prov_status {
	char *datasource; /* NULL: null */
	int stage;        /* index into the table below, -1: null */
	struct prov_stage_status st[PROV_NSTAGES];
};
/* "init-local", "init", "modules-init", "modules-config", "modules-final". */
extern const char *const prov_status_keys[PROV_NSTAGES];
/* The status.json index of a stage. */
int prov_status_index(enum prov_stage s);

/* An empty status (every start/finished null). */
void prov_status_init(struct prov_status *s);
void prov_status_free(struct prov_status *s);
/* Adds a copy of msg to stage i's errors. Returns 0 or -1. */
int prov_status_add_error(struct prov_status *s, int i, const char *msg);
/* Reads STATE/data/status.json into s (an empty status when missing).
 * Returns 0; 1 when the file is missing; -1 when it is unreadable or
 * malformed (err names it; s is then empty). */
int prov_status_load(const struct prov_paths *p, struct prov_status *s, struct strbuf *err);
/* status.json as cloud-init writes it: indent=1, sort_keys, trailing \n. */
int prov_status_json(const struct prov_status *s, struct strbuf *out);
/* Writes STATE/data/status.json (atomically, 0644) and the relative link
 * RUN/status.json. Returns 0 or -1 with errno. */
int prov_status_save(const struct prov_paths *p, const struct prov_status *s);
/* Writes STATE/data/result.json ({"v1": {"datasource", "errors"}}, every
 * stage's errors) and RUN/result.json. Returns 0 or -1. */
int prov_result_save(const struct prov_paths *p, const struct prov_status *s);
/* Deletes status.json, result.json and their links (init-local). */
void prov_status_clear(const struct prov_paths *p);
/* 1 when STATE/data/result.json exists. */
int prov_result_exists(const struct prov_paths *p);

#endif
