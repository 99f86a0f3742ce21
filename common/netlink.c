/* rtnetlink requests (common/netlink.h): one message per call, sent with
 * NLM_F_ACK and answered by an NLMSG_ERROR carrying 0 or -errno. */
#include "netlink.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* A request under construction: header, family message, attributes. */
struct nl_req {
	union {
		struct nlmsghdr h;
		char buf[512];
	} u;
};

static void req_init(struct nl_req *r, int type, int flags, const void *body, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->u.h.nlmsg_type = (uint16_t)type;
	r->u.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	r->u.h.nlmsg_len = NLMSG_LENGTH(len);
	memcpy(NLMSG_DATA(&r->u.h), body, len);
}

/* Appends one attribute; -1 (EMSGSIZE) when it does not fit. */
static int req_attr(struct nl_req *r, int type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->u.h.nlmsg_len);
	size_t alen = RTA_LENGTH(len);
	if (off + RTA_ALIGN(alen) > sizeof(r->u.buf)) {
		errno = EMSGSIZE;
		return -1;
	}
	struct rtattr *a = (struct rtattr *)(r->u.buf + off);
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)alen;
	memcpy(RTA_DATA(a), data, len);
	r->u.h.nlmsg_len = (uint32_t)(off + RTA_ALIGN(alen));
	return 0;
}

static int req_u32(struct nl_req *r, int type, uint32_t v)
{
	return req_attr(r, type, &v, sizeof(v));
}

int nl_open(struct nl_sock *s)
{
	s->seq = 0;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s->fd < 0)
		return -1;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(s->fd);
		s->fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

void nl_close(struct nl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Sends the request and waits for its acknowledgement. */
static int req_send(struct nl_sock *s, struct nl_req *r)
{
	r->u.h.nlmsg_seq = ++s->seq;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n;
	do
		n = sendto(s->fd, r->u.buf, r->u.h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		           sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (;;) {
		union {
			struct nlmsghdr h;
			char buf[8192];
		} ans;
		do
			n = recv(s->fd, ans.buf, sizeof(ans.buf), 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		int len = (int)n;
		for (struct nlmsghdr *h = &ans.h; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != s->seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
				errno = EBADMSG;
				return -1;
			}
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (e->error == 0)
				return 0;
			errno = -e->error;
			return -1;
		}
	}
}

int nl_link_set(struct nl_sock *s, int ifindex, int up, int mtu, const char *name)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	if (up >= 0) {
		ifi.ifi_change = IFF_UP;
		ifi.ifi_flags = up ? IFF_UP : 0;
	}
	struct nl_req r;
	req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (mtu > 0 && req_u32(&r, IFLA_MTU, (uint32_t)mtu) < 0)
		return -1;
	if (name && req_attr(&r, IFLA_IFNAME, name, strlen(name) + 1) < 0)
		return -1;
	return req_send(s, &r);
}

static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

int nl_addr_add(struct nl_sock *s, int ifindex, int family, const void *addr, int prefix)
{
	struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family,
	                        .ifa_prefixlen = (unsigned char)prefix,
	                        .ifa_scope = RT_SCOPE_UNIVERSE,
	                        .ifa_index = (unsigned)ifindex};
	struct nl_req r;
	req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa, sizeof(ifa));
	size_t alen = addr_len(family);
	if (req_attr(&r, IFA_LOCAL, addr, alen) < 0 || req_attr(&r, IFA_ADDRESS, addr, alen) < 0)
		return -1;
	if (family == AF_INET && prefix < 31) {
		struct in_addr brd;
		memcpy(&brd, addr, sizeof(brd));
		brd.s_addr |= htonl(prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1);
		if (req_attr(&r, IFA_BROADCAST, &brd, sizeof(brd)) < 0)
			return -1;
	}
	return req_send(s, &r);
}

int nl_route_add(struct nl_sock *s, int ifindex, int family, const void *dst, int prefix,
                 const void *gw, long metric)
{
	struct rtmsg rt = {.rtm_family = (unsigned char)family,
	                   .rtm_dst_len = (unsigned char)prefix,
	                   .rtm_table = RT_TABLE_MAIN,
	                   .rtm_protocol = RTPROT_BOOT,
	                   .rtm_scope = gw || family == AF_INET6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
	                   .rtm_type = RTN_UNICAST};
	struct nl_req r;
	req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof(rt));
	size_t alen = addr_len(family);
	if (prefix > 0 && dst && req_attr(&r, RTA_DST, dst, alen) < 0)
		return -1;
	if (gw && req_attr(&r, RTA_GATEWAY, gw, alen) < 0)
		return -1;
	if (ifindex > 0 && req_u32(&r, RTA_OIF, (uint32_t)ifindex) < 0)
		return -1;
	if (metric >= 0 && req_u32(&r, RTA_PRIORITY, (uint32_t)metric) < 0)
		return -1;
	return req_send(s, &r);
}
