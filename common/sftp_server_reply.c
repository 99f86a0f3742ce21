#include "sftp_server_int.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "sftp_proto.h"

static const char *status_message(uint32_t code)
{
	static const char *const msgs[] = {
		"Success", "End of file", "No such file", "Permission denied", "Failure",
		"Bad message", "No connection", "Connection lost", "Operation unsupported",
	};
	return code < sizeof(msgs) / sizeof(msgs[0]) ? msgs[code] : "Unknown error";
}

/* Out-of-memory while building a response is fatal: the client would
 * otherwise wait forever for the reply. */
int sftps_oom(struct server *s)
{
	if (!s->fatal)
		log_msg(LOG_ERR, SFTPS_LOG_SRC, "out of memory building a response");
	s->fatal = 1;
	return 0;
}

int sftps_status_msg(struct server *s, uint32_t id, uint32_t code, const char *msg)
{
	size_t start = ww_packet_begin(&s->out, SSH_FXP_STATUS);
	if (start == (size_t)-1 || ww_u32(&s->out, id) || ww_u32(&s->out, code) ||
	    ww_cstring(&s->out, msg) || ww_cstring(&s->out, "")) {
		sftps_oom(s);
		return 0;
	}
	ww_packet_end(&s->out, start);
	return 0;
}

int sftps_status(struct server *s, uint32_t id, uint32_t code)
{
	sftps_status_msg(s, id, code, status_message(code));
	return 0;
}

/* errno -> SSH_FX_* as OpenSSH's errno_to_portable() maps it. */
static uint32_t errno_to_status(int err)
{
	switch (err) {
	case 0:
		return SSH_FX_OK;
	case ENOENT: case ENOTDIR: case EBADF: case ELOOP:
		return SSH_FX_NO_SUCH_FILE;
	case EPERM: case EACCES: case EFAULT:
		return SSH_FX_PERMISSION_DENIED;
	case ENAMETOOLONG: case EINVAL:
		return SSH_FX_BAD_MESSAGE;
	case ENOSYS: case EOPNOTSUPP:
		return SSH_FX_OP_UNSUPPORTED;
	default:
		return SSH_FX_FAILURE;
	}
}

/* The generic codes carry OpenSSH's fixed text; the catch-all ones carry
 * strerror() so the client can tell "No space left on device" from
 * "File exists". */
int sftps_errno(struct server *s, uint32_t id, int err)
{
	uint32_t code = errno_to_status(err);
	if (code == SSH_FX_FAILURE || code == SSH_FX_BAD_MESSAGE)
		sftps_status_msg(s, id, code, strerror(err));
	else
		sftps_status(s, id, code);
	return 0;
}

/* 0 -> OK, otherwise the errno saved by the caller. */
int sftps_result(struct server *s, uint32_t id, int rc, int err)
{
	if (rc < 0)
		sftps_errno(s, id, err);
	else
		sftps_status(s, id, SSH_FX_OK);
	return 0;
}

int sftps_handle(struct server *s, uint32_t id, size_t index)
{
	unsigned char h[SFTPS_HANDLE_LEN];
	wire_put_u32_at(h, (uint32_t)index);
	wire_put_u32_at(h + 4, s->handles[index].gen);
	size_t start = ww_packet_begin(&s->out, SSH_FXP_HANDLE);
	if (start == (size_t)-1 || ww_u32(&s->out, id) || ww_string(&s->out, h, sizeof(h))) {
		sftps_oom(s);
		return 0;
	}
	ww_packet_end(&s->out, start);
	return 0;
}

int sftps_attrs(struct server *s, uint32_t id, const struct stat *st)
{
	struct sftp_attrs a;
	sftp_attrs_from_stat(&a, st);
	size_t start = ww_packet_begin(&s->out, SSH_FXP_ATTRS);
	if (start == (size_t)-1 || ww_u32(&s->out, id) || ww_attrs(&s->out, &a)) {
		sftps_oom(s);
		return 0;
	}
	ww_packet_end(&s->out, start);
	return 0;
}

/* A NAME reply with one entry whose long name is the name itself and
 * whose attributes are empty (REALPATH, READLINK, expand-path). */
int sftps_one_name(struct server *s, uint32_t id, const char *name)
{
	struct sftp_attrs none = {0};
	size_t start = ww_packet_begin(&s->out, SSH_FXP_NAME);
	if (start == (size_t)-1 || ww_u32(&s->out, id) || ww_u32(&s->out, 1) ||
	    ww_cstring(&s->out, name) || ww_cstring(&s->out, name) ||
	    ww_attrs(&s->out, &none)) {
		sftps_oom(s);
		return 0;
	}
	ww_packet_end(&s->out, start);
	return 0;
}
