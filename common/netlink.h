/* A minimal rtnetlink client: the requests an initramfs guest without
 * iproute2 needs to get its network up (link up/down, MTU, rename,
 * addresses, routes). Every request is acknowledged synchronously; it
 * acts on the network namespace of the calling process.
 *
 *   struct nl_sock s;
 *   if (nl_open(&s) == 0) {
 *           nl_link_set(&s, idx, 1, 1400, NULL);
 *           nl_addr_add(&s, idx, AF_INET, &in4, 24);
 *           nl_close(&s);
 *   }
 *
 * Each function returns 0, or -1 with errno (the kernel's answer: EEXIST,
 * ENODEV, ENETUNREACH, EPERM, ...). */
#ifndef EGS_NETLINK_H
#define EGS_NETLINK_H

struct nl_sock {
	int fd;
	unsigned int seq;
};

/* Opens a NETLINK_ROUTE socket (close-on-exec). */
int nl_open(struct nl_sock *s);
void nl_close(struct nl_sock *s);

/* RTM_NEWLINK on ifindex: up 1 sets IFF_UP, 0 clears it, -1 leaves it;
 * mtu > 0 sets the MTU; name (non-NULL) renames the link, which the
 * kernel only allows while it is down. */
int nl_link_set(struct nl_sock *s, int ifindex, int up, int mtu, const char *name);

/* Adds (or replaces) addr/prefix on ifindex; addr is a struct in_addr or
 * struct in6_addr by family (AF_INET / AF_INET6). IPv4 addresses get
 * their broadcast address as `ip addr add ... brd +` sets it. */
int nl_addr_add(struct nl_sock *s, int ifindex, int family, const void *addr, int prefix);

/* Adds (or replaces) a route in the main table: dst/prefix (prefix 0:
 * default route; dst may then be NULL), via gw (NULL: on-link), out of
 * ifindex (0: let the kernel choose), metric (< 0: none). */
int nl_route_add(struct nl_sock *s, int ifindex, int family, const void *dst, int prefix,
                 const void *gw, long metric);

#endif
