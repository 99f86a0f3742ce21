/* Host-side transports to a guest's SSH service: the target grammar of
 * systemd-ssh-proxy (vsock/CID, vsock-mux/PATH, unix/PATH, each also with
 * '%' instead of '/') plus tcp/HOST:PORT, connecting, the byte relay of a
 * ProxyCommand, and passing a connected fd back to ssh (ProxyUseFdpass).
 *
 * Error texts are written into a caller's buffer (one line, no newline) so
 * applets print them with their own prefix and tests can compare them. */
#ifndef EGS_TRANSPORT_H
#define EGS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

/* musl ships no <linux/vm_sockets.h>: the kernel's 16-byte sockaddr_vm. */
#define EGS_AF_VSOCK 40
struct egs_sockaddr_vm {
	uint16_t svm_family;   /* EGS_AF_VSOCK */
	uint16_t svm_reserved1;
	uint32_t svm_port;
	uint32_t svm_cid;
	uint8_t svm_flags;
	uint8_t svm_zero[3];
};
#define EGS_VMADDR_CID_HYPERVISOR 0u
#define EGS_VMADDR_CID_LOCAL 1u
#define EGS_VMADDR_CID_HOST 2u
#define EGS_VMADDR_CID_ANY 0xFFFFFFFFu
#define EGS_VMADDR_PORT_ANY 0xFFFFFFFFu

#define TRANSPORT_DEFAULT_PORT 5002u  /* the guest service's vsock port */
#define TRANSPORT_MUX_TIMEOUT_MS 5000 /* wait for "OK <n>\n" of vsock-mux */

enum transport_kind {
	TRANSPORT_VSOCK,     /* AF_VSOCK cid:port */
	TRANSPORT_VSOCK_MUX, /* unix socket + "CONNECT <port>\n" / "OK <n>\n" */
	TRANSPORT_UNIX,      /* unix stream socket straight to the service */
	TRANSPORT_TCP,       /* host:port (getaddrinfo) */
	TRANSPORT_HYPERV,    /* <vmid>.hyper-v.alt: recognised, only to refuse */
};

struct transport_target {
	enum transport_kind kind;
	uint32_t cid;    /* vsock */
	uint32_t port;   /* vsock, vsock-mux, tcp */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unix, vsock-mux */
	char host[256];  /* tcp: host without [] brackets; hyperv: the vm id */
};

/* Parses TARGET text, with port_arg (NULL: none) as the port for vsock and
 * vsock-mux and the default for tcp (a port inside tcp/HOST:PORT wins).
 * Without a port TRANSPORT_DEFAULT_PORT is used. Like systemd, a unix or
 * vsock-mux path not starting with "/" or "./" gets a "/" prepended.
 * CIDs: decimal, or host (2), hypervisor (0), local (1).
 * Returns 0, or -1 with a message in err. */
int transport_parse(const char *text, const char *port_arg, struct transport_target *t,
                    char *err, size_t errlen);

/* Writes the canonical TARGET text, which transport_parse reads back to the
 * same target: "vsock/3", "vsock-mux/run/vm.sock", "unix/run/x",
 * "unix/./rel.sock", "tcp/[::1]:2222", "<vmid>.hyper-v.alt". The port of
 * vsock and vsock-mux is not part of the text: callers pass it as the
 * separate PORT argument when it is not TRANSPORT_DEFAULT_PORT.
 * Returns the length it needed, as snprintf does. */
size_t transport_format(const struct transport_target *t, char *buf, size_t len);

/* "vsock", "vsock-mux", "unix", "tcp", "hyper-v". */
const char *transport_kind_name(enum transport_kind kind);

/* 1 for transports that end in a local socket ssh can take over with
 * ProxyUseFdpass (vsock, vsock-mux, unix); 0 for tcp and hyper-v. */
int transport_is_local(const struct transport_target *t);

/* Connects to t, giving up after timeout_ms (<= 0: no limit) for the
 * connect itself and for the vsock-mux handshake (which is always bounded
 * by TRANSPORT_MUX_TIMEOUT_MS). Returns a blocking, close-on-exec stream
 * socket, or -1 with errno set and one line in err that names the target
 * and the error, with a hint for the usual causes. */
int transport_connect(const struct transport_target *t, int timeout_ms, char *err,
                      size_t errlen);

/* The vsock-mux handshake on a connected fd: sends "CONNECT <port>\n",
 * then reads exactly one line "OK <digits>\n" (nothing beyond it) within
 * timeout_ms. Returns 0, or -1 with a message in err (timeout, garbage,
 * peer closed). Exposed for tests. */
int transport_mux_handshake(int fd, uint32_t port, int timeout_ms, char *err,
                            size_t errlen);

/* Copies in_fd -> sock and sock -> out_fd until the peer closes, using
 * splice() through pipes where the kernel allows it and read()/write()
 * with large buffers otherwise. EOF on in_fd becomes shutdown(SHUT_WR) on
 * sock; EOF from sock ends the relay. SIGPIPE should be ignored by the
 * caller. Returns 0 when the peer closed, -1 with errno on an I/O error. */
int transport_relay(int in_fd, int out_fd, int sock);

/* Sends fd over the unix socket via with SCM_RIGHTS, together with the
 * one data byte (NUL) OpenSSH's receiver expects. Returns 0 or -1/errno. */
int transport_send_fd(int via, int fd);
/* Receives one fd sent by transport_send_fd. Returns it or -1/errno. */
int transport_recv_fd(int via);
/* 1 if fd is a unix-domain stream socket (what ssh gives ProxyCommand
 * on stdout with ProxyUseFdpass yes), else 0. */
int transport_is_unix_socket(int fd);

#endif
