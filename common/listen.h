/* Listener specifications of `egs service --listen`:
 *   vsock:PORT          AF_VSOCK, any CID (the default is vsock:5002)
 *   unix:PATH           a unix stream socket (an old socket file is replaced)
 *   tcp:HOST:PORT       TCP; HOST may be an IPv4/IPv6 literal or a name
 * AF_VSOCK is opened only inside guests: nothing here opens one unless a
 * vsock spec is given. */
#ifndef EGS_LISTEN_H
#define EGS_LISTEN_H

#include "strbuf.h"

enum listen_kind { LISTEN_VSOCK, LISTEN_UNIX, LISTEN_TCP };

struct listen_spec {
	enum listen_kind kind;
	char path[108];     /* unix */
	char host[256];     /* tcp */
	unsigned port;      /* vsock, tcp */
	const char *text;   /* the spec as given, for messages */
};

/* Parses spec into ls. Returns 0, or -1 with a message in err. */
int listen_parse(const char *spec, struct listen_spec *ls, struct strbuf *err);
/* Opens, binds and listens (backlog 64, SOCK_CLOEXEC|SOCK_NONBLOCK).
 * Returns the fd, or -1 with errno and a message in err. */
int listen_open(const struct listen_spec *ls, struct strbuf *err);

#define VMADDR_CID_ANY_VALUE 0xFFFFFFFFu
#define EGS_AF_VSOCK 40

/* The 16-byte struct sockaddr_vm of <linux/vm_sockets.h>. */
struct egs_sockaddr_vm {
	unsigned short svm_family;
	unsigned short svm_reserved1;
	unsigned int svm_port;
	unsigned int svm_cid;
	unsigned char svm_flags;
	unsigned char svm_zero[3];
};

#endif
