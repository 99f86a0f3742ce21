#include "guestinfo.h"

#include "fsutil.h"
#include "jsonw.h"
#include "kvp.h"
#include "version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

/* The value of KEY in os-release text (shell-like quoting), or NULL.
 * Returns a malloc'd string. */
static char *os_release_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1, *end = line + len;
			char *out = malloc(len + 1), *o = out;
			if (!out)
				return NULL;
			char quote = (*v == '"' || *v == '\'') ? *v++ : 0;
			for (; v < end && *v != quote; v++) {
				if (quote != '\'' && *v == '\\' && v + 1 < end)
					v++;
				*o++ = *v;
			}
			while (!quote && o > out && (o[-1] == ' ' || o[-1] == '\r' || o[-1] == '\t'))
				o--;
			*o = '\0';
			return out;
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

static void put_os_release(struct jsonw *w, const char *path)
{
	static const char *const keys[] = {"ID", "VERSION_ID", "PRETTY_NAME"};
	struct strbuf text = STRBUF_INIT;
	jw_key(w, "os_release");
	if (fs_read_file(path ? path : "/etc/os-release", &text, 1 << 16) < 0 &&
	    (path || fs_read_file("/usr/lib/os-release", &text, 1 << 16) < 0)) {
		jw_null(w);
		sb_free(&text);
		return;
	}
	jw_obj_begin(w);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = os_release_value(sb_str(&text), keys[i]);
		if (v) {
			jw_key(w, keys[i]);
			jw_str(w, v);
		}
		free(v);
	}
	jw_obj_end(w);
	sb_free(&text);
}

static void put_uptime(struct jsonw *w, const char *path)
{
	struct strbuf text = STRBUF_INIT;
	jw_key(w, "uptime_seconds");
	if (fs_read_file(path ? path : "/proc/uptime", &text, 4096) == 0 && text.len &&
	    text.data[0] >= '0' && text.data[0] <= '9')
		jw_uint(w, strtoull(text.data, NULL, 10));
	else
		jw_null(w);
	sb_free(&text);
}

static void put_addresses(struct jsonw *w)
{
	struct ifaddrs *list, *i;
	jw_key(w, "ip_addresses");
	if (getifaddrs(&list) < 0) {
		jw_null(w);
		return;
	}
	jw_arr_begin(w);
	for (i = list; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		int fam = i->ifa_addr->sa_family;
		char text[INET6_ADDRSTRLEN];
		const void *a;
		if (fam == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		else if (fam == AF_INET6)
			a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		else
			continue;
		if (!inet_ntop(fam, a, text, sizeof(text)))
			continue;
		jw_obj_begin(w);
		jw_key(w, "interface");
		jw_str(w, i->ifa_name ? i->ifa_name : "");
		jw_key(w, "family");
		jw_str(w, fam == AF_INET ? "inet" : "inet6");
		jw_key(w, "address");
		jw_str(w, text);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	freeifaddrs(list);
}

static void put_disk(struct jsonw *w, const char *path)
{
	struct statvfs sv;
	const char *p = path ? path : "/";
	jw_key(w, "disk");
	if (statvfs(p, &sv) < 0) {
		jw_null(w);
		return;
	}
	unsigned long long unit = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	jw_obj_begin(w);
	jw_key(w, "path");
	jw_str(w, p);
	jw_key(w, "total_bytes");
	jw_uint(w, (unsigned long long)sv.f_blocks * unit);
	jw_key(w, "free_bytes");
	jw_uint(w, (unsigned long long)sv.f_bfree * unit);
	jw_key(w, "available_bytes");
	jw_uint(w, (unsigned long long)sv.f_bavail * unit);
	jw_obj_end(w);
}

static void put_kvp(struct jsonw *w, const char *dir)
{
	struct kvp_pool pool = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	if (kvp_read(dir ? dir : KVP_DEFAULT_DIR, KVP_POOL_GUEST, &pool, &err) == 0) {
		jw_key(w, "kvp");
		jw_obj_begin(w);
		for (size_t i = 0; i < pool.count; i++) {
			if (strncmp(pool.rec[i].key, "eryph", 5) != 0)
				continue;
			jw_key(w, pool.rec[i].key);
			jw_str(w, pool.rec[i].value);
		}
		jw_obj_end(w);
	}
	kvp_pool_free(&pool);
	sb_free(&err);
}

int guestinfo_json_from(struct strbuf *out, const struct guestinfo_src *src)
{
	static const struct guestinfo_src none;
	if (!src)
		src = &none;
	struct utsname u;
	int have_uname = uname(&u) == 0;
	struct jsonw w;
	jw_init(&w, out, 2, 0);
	jw_obj_begin(&w);
	jw_key(&w, "version");
	jw_str(&w, EGS_VERSION);
	put_os_release(&w, src->os_release);
	jw_key(&w, "kernel");
	if (have_uname)
		jw_str(&w, u.release);
	else
		jw_null(&w);
	jw_key(&w, "hostname");
	if (have_uname)
		jw_str(&w, u.nodename);
	else
		jw_null(&w);
	put_uptime(&w, src->uptime);
	put_addresses(&w);
	put_disk(&w, src->disk_path);
	put_kvp(&w, src->kvp_dir);
	jw_obj_end(&w);
	if (jw_error(&w) || sb_putc(out, '\n') < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int guestinfo_json(struct strbuf *out)
{
	return guestinfo_json_from(out, NULL);
}
