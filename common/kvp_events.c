#include "kvp_events.h"
#include "random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "jsonw.h"

int kvp_event_ts(struct strbuf *out, long long sec, long usec, enum kvp_ts_style style)
{
	time_t t = (time_t)sec;
	struct tm tm;
	if ((long long)t != sec || usec < 0 || usec > 999999 || !gmtime_r(&t, &tm)) {
		errno = EINVAL;
		return -1;
	}
	if (sb_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) < 0)
		return -1;
	if (usec && sb_printf(out, ".%06ld", usec) < 0)
		return -1;
	return sb_puts(out, style == KVP_TS_Z ? "Z" : "+00:00");
}

void kvp_event_now(struct kvp_event *ev)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ev->ts_sec = ts.tv_sec;
	ev->ts_usec = ts.tv_nsec / 1000;
}

int kvp_uuid4(char out[KVP_UUID_LEN + 1])
{
	unsigned char b[16];
	if (random_bytes(b, sizeof(b)) < 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", b[i]);
	}
	return 0;
}

long long kvp_event_incarnation(void)
{
	struct strbuf sb = STRBUF_INIT;
	double uptime = -1;
	if (fs_read_file("/proc/uptime", &sb, 4096) == 0) {
		char *end;
		uptime = strtod(sb_str(&sb), &end);
		if (end == sb_str(&sb))
			uptime = -1;
	}
	sb_free(&sb);
	struct timespec now, boot;
	if (uptime < 0) {
		if (clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
			return -1;
		uptime = (double)boot.tv_sec + boot.tv_nsec / 1e9;
	}
	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -1;
	return (long long)((double)now.tv_sec + now.tv_nsec / 1e9 - uptime);
}

/* Writes the members before "msg" (and msg_i when slice >= 0) into w. */
static void members(struct jsonw *w, const struct kvp_event *ev, const char *ts, long slice)
{
	jw_obj_begin(w);
	jw_key(w, "name");
	jw_str(w, ev->name);
	jw_key(w, "type");
	jw_str(w, ev->type);
	jw_key(w, "ts");
	jw_str(w, ts);
	if (ev->result) {
		jw_key(w, "result");
		jw_str(w, ev->result);
	}
	if (slice >= 0) {
		jw_key(w, "msg_i");
		jw_int(w, slice);
	}
	jw_key(w, "msg");
}

/* One value with msg already escaped (esc, len bytes, no quotes). */
static int slice_value(struct strbuf *out, const struct kvp_event *ev, const char *ts,
                       long slice, const char *esc, size_t len)
{
	struct jsonw w;
	struct strbuf raw = STRBUF_INIT;
	sb_reset(out);
	jw_init(&w, out, 0, 1);
	members(&w, ev, ts, slice);
	if (sb_putc(&raw, '"') < 0 || sb_append(&raw, esc, len) < 0 || sb_putc(&raw, '"') < 0) {
		sb_free(&raw);
		return -1;
	}
	jw_raw(&w, raw.data);
	jw_obj_end(&w);
	sb_free(&raw);
	return jw_error(&w);
}

static int add_record(struct kvp_pool *out, const char *key, const char *value,
                      struct strbuf *err)
{
	if (strlen(key) > KVP_KEY_MAX_BYTES) {
		sb_printf(err, "event key '%.64s...' is longer than %d bytes", key, KVP_KEY_MAX_BYTES);
		errno = EINVAL;
		return -1;
	}
	if (kvp_set(out, key, value) < 0) {
		sb_puts(err, "out of memory");
		return -1;
	}
	return 0;
}

int kvp_event_encode(const struct kvp_event *ev, long long incarnation,
                     enum kvp_ts_style style, struct kvp_pool *out, struct strbuf *err)
{
	struct strbuf ts = STRBUF_INIT, key = STRBUF_INIT, sub = STRBUF_INIT,
	              value = STRBUF_INIT, esc = STRBUF_INIT, scratch = STRBUF_INIT;
	struct kvp_pool recs = KVP_POOL_INIT;
	char uuid[KVP_UUID_LEN + 1];
	const char *msg = ev->msg ? ev->msg : "";
	int rc = -1;
	if (err)
		sb_reset(err);
	else
		err = &scratch; /* keeps the code below simple */

	if (!ev->uuid && kvp_uuid4(uuid) < 0) {
		sb_printf(err, "cannot make a UUID: %s", strerror(errno));
		goto out;
	}
	if (kvp_event_ts(&ts, ev->ts_sec, ev->ts_usec, style) < 0 ||
	    sb_printf(&key, "%s%lld|%s|%s|%s", KVP_EVENT_PREFIX, incarnation, ev->type, ev->name,
	              ev->uuid ? ev->uuid : uuid) < 0) {
		sb_printf(err, "cannot encode event '%.64s'", ev->name);
		goto fail;
	}
	/* The whole value first; cloud-init splits only above 1024. */
	if (json_quote(&esc, msg, strlen(msg), 1) < 0 ||
	    slice_value(&value, ev, ts.data, -1, esc.data + 1, esc.len - 2) < 0) {
		sb_printf(err, "cannot encode event '%.64s'", ev->name);
		goto fail;
	}
	if (value.len <= KVP_EVENT_MAX_VALUE) {
		if (add_record(&recs, key.data, value.data, err) < 0)
			goto out;
	} else {
		/* As cloud-init's _break_down: room for the escaped msg in each
		 * slice is 1024 - len(value with msg "") - 8 characters. */
		const char *rest = esc.data + 1;
		size_t left = esc.len - 2;
		long i = 0;
		do {
			if (slice_value(&value, ev, ts.data, i, "", 0) < 0)
				goto fail;
			if (value.len + 8 >= KVP_EVENT_MAX_VALUE) {
				sb_printf(err, "event '%.64s': its fields leave no room for the message",
				          ev->name);
				errno = EINVAL;
				goto out;
			}
			size_t room = KVP_EVENT_MAX_VALUE - value.len - 8;
			size_t n = left < room ? left : room;
			sb_reset(&sub);
			if (slice_value(&value, ev, ts.data, i, rest, n) < 0 ||
			    sb_printf(&sub, "%s|%ld", key.data, i) < 0)
				goto fail;
			if (add_record(&recs, sub.data, value.data, err) < 0)
				goto out;
			rest += n;
			left -= n;
			i++;
		} while (left > 0);
	}
	for (size_t j = 0; j < recs.count; j++)
		if (add_record(out, recs.rec[j].key, recs.rec[j].value, err) < 0)
			goto out;
	rc = 0;
	goto out;
fail:
	if (!err->len)
		sb_puts(err, "out of memory");
	errno = ENOMEM;
out:
	sb_free(&ts);
	sb_free(&key);
	sb_free(&sub);
	sb_free(&value);
	sb_free(&esc);
	sb_free(&scratch);
	kvp_pool_free(&recs);
	return rc;
}

size_t kvp_events_sweep_pool(struct kvp_pool *p, long long incarnation)
{
	char cur[32];
	size_t plen = strlen(KVP_EVENT_PREFIX), removed = 0;
	int clen = snprintf(cur, sizeof(cur), "%lld", incarnation);
	for (size_t i = 0; i < p->count;) {
		const char *k = p->rec[i].key;
		if (strncmp(k, KVP_EVENT_PREFIX, plen) == 0) {
			const char *f = k + plen;
			const char *bar = strchr(f, '|');
			size_t flen = bar ? (size_t)(bar - f) : strlen(f);
			if (flen != (size_t)clen || memcmp(f, cur, flen) != 0) {
				kvp_remove_at(p, i);
				removed++;
				continue;
			}
		}
		i++;
	}
	return removed;
}

struct publish_ctx {
	const struct kvp_pool *recs;
	long long incarnation;
	int sweep;
};

static int publish_edit(struct kvp_pool *p, void *arg, struct strbuf *err)
{
	const struct publish_ctx *c = arg;
	if (c->sweep)
		kvp_events_sweep_pool(p, c->incarnation);
	for (size_t i = 0; i < c->recs->count; i++) {
		if (kvp_set(p, c->recs->rec[i].key, c->recs->rec[i].value) < 0) {
			if (err)
				sb_puts(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

int kvp_event_publish(const char *dir, int pool, const struct kvp_event *ev,
                      long long incarnation, enum kvp_ts_style style, int sweep,
                      struct strbuf *err)
{
	struct kvp_pool recs = KVP_POOL_INIT;
	if (kvp_event_encode(ev, incarnation, style, &recs, err) < 0) {
		int saved = errno;
		kvp_pool_free(&recs);
		errno = saved;
		return -1;
	}
	struct publish_ctx c = {&recs, incarnation, sweep};
	int rc = kvp_transact(dir, pool, 0, publish_edit, &c, err);
	int saved = errno;
	kvp_pool_free(&recs);
	errno = saved;
	return rc;
}
