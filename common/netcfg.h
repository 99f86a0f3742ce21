/* network-config v1 and v2 (cloud-init.md §4.9, egs-compat.md §13.7):
 * the subset egs applies, parsed into one model and then rendered for
 * systemd-networkd, for ifupdown, or applied directly over rtnetlink.
 *
 *   netcfg_parse    v1 `config:` list / v2 `ethernets:` → struct netcfg
 *                   (pure; a top-level `network:` wrapper is stripped)
 *   netcfg_resolve  which interfaces of ROOT/sys/class/net each entry
 *                   means (MAC match, name globs, set-name)
 *   netcfg_render_* the files' text (common/netcfg_render.c; pure)
 *   netcfg_live     addresses, routes, MTU, DNS, DHCP on the running
 *                   system (common/netcfg_live.c over common/netlink.c)
 *   netcfg_apply    all of it for `egs run` (the runner's entry point)
 *
 * Applied: per-interface link state, MTU, IPv4/IPv6 addresses, gateways,
 * routes with metrics, nameservers and search domains, DHCP (v4 and v6)
 * and renames. Everything else (bonds, bridges, VLANs, wifis, v1 route /
 * loopback commands, manual and SLAAC subnets, ...) is accepted and
 * logged as not applied, never an error (the original does the same). */
#ifndef EGS_NETCFG_H
#define EGS_NETCFG_H

#include <stddef.h>

#include "prov.h"
#include "strbuf.h"
#include "yaml.h"

/* An address or destination: family AF_INET/AF_INET6, the text as
 * normalised by inet_ntop ("10.0.0.5"), and a prefix length. */
struct netcfg_ip {
	int family;
	char text[46];
	int prefix; /* 0..32 / 0..128; -1 for a plain address (gateway) */
};

struct netcfg_route {
	struct netcfg_ip to;  /* 0.0.0.0/0 or ::/0 for a default route */
	struct netcfg_ip via; /* family 0: no gateway (on-link) */
	long metric;          /* -1: none given */
};

struct netcfg_iface {
	char *id;        /* v2 ethernets key, v1 name */
	char *set_name;  /* v2 set-name; v1 name when mac_address is given */
	char *match_mac; /* lower-case aa:bb:..; NULL: no MAC match */
	char *match_name;/* v2 match.name (may be a glob); v1 name without MAC */
	int mtu;         /* 0: leave alone */
	int dhcp4, dhcp6;
	struct netcfg_ip *addrs;
	size_t naddrs;
	struct netcfg_ip gw4, gw6; /* family 0: none */
	struct netcfg_route *routes;
	size_t nroutes;
	char **dns, **search;      /* NULL-terminated (never NULL after parse) */
	/* Filled by netcfg_resolve: */
	char *name;      /* the interface name the config is for */
	char **devs;     /* current system names it applies to (NULL-terminated) */
};

struct netcfg {
	int version;     /* 1 or 2; 0 when disabled or empty */
	int disabled;    /* `config: disabled` */
	struct netcfg_iface *ifaces;
	size_t nifaces;
	char **dns, **search;  /* v1 `type: nameserver` (global); NULL-terminated */
	char **skipped;        /* "bonds: bond0", "subnet type manual (eth0)": accepted,
	                        * not applied; NULL-terminated */
};

/* Parses a network-config document (the datasource's, with or without
 * the `network:` wrapper). NULL, null or an empty map is "nothing to do"
 * (version 0). Returns 0, or -1 with a one-line reason in err (unknown
 * version, `config:` / `ethernets:` of the wrong type, a bad address,
 * ENOMEM). Free cfg with netcfg_free() either way. */
int netcfg_parse(const struct ynode *doc, struct netcfg *cfg, struct strbuf *err);
void netcfg_free(struct netcfg *cfg);

/* Fills name and devs of every interface from sysnet (a directory like
 * /sys/class/net: one entry per interface with an `address` file):
 * set-name wins; else the interface whose MAC matches; else an exact
 * match.name; else the id. devs lists the existing interfaces matched
 * (by MAC and/or name glob, or by name when there is no match). A missing
 * sysnet directory just matches nothing. Returns 0 or -1 (ENOMEM). */
int netcfg_resolve(struct netcfg *cfg, const char *sysnet);

/* The name of the interface in sysnet whose MAC is mac (case-insensitive),
 * malloc'd; NULL when there is none (or on ENOMEM). */
char *netcfg_name_by_mac(const char *sysnet, const char *mac);

/* OpenStack network_data.json (the ConfigDrive's links, networks and
 * services) as a network-config v1 document, as cloud-init's
 * convert_net_json does, best effort (common/netcfg_netjson.c):
 *   links     phy/ethernet/... (cloud-init's physical types, or no type)
 *             become `physical` with mtu and mac_address, named by the
 *             link's `name` or the interface of sysnet with its
 *             ethernet_mac_address; a link with neither, bonds, VLANs and
 *             unknown types are logged as accepted but not applied (with
 *             their networks)
 *   networks  ipv4/static and ipv6/static6 (ip_address, netmask, routes
 *             network/netmask/gateway), ipv4_dhcp/dhcp -> dhcp4,
 *             ipv6_dhcp -> dhcp6, ipv6_slaac and ipv6_dhcpv6-* as they are;
 *             DNS services of a network or its routes -> dns_nameservers
 *   services  type dns -> a global `nameserver`
 * file names the JSON in messages. Returns a new document (ydoc_free), or
 * NULL with a one-line reason in err (not an object, links/networks/
 * services not lists, ENOMEM). */
struct ydoc *netcfg_from_netjson(const struct ynode *nj, const char *sysnet, const char *file,
                                 struct strbuf *err);

/* The systemd-networkd .network file for one interface (after resolve).
 * Interfaces without their own nameservers get cfg's global ones. */
int netcfg_render_networkd(const struct netcfg *cfg, const struct netcfg_iface *ifc,
                           struct strbuf *out);
/* The .link file that renames a MAC-matched interface to set_name; out
 * stays empty when no rename is needed. */
int netcfg_render_networkd_link(const struct netcfg_iface *ifc, struct strbuf *out);
/* The whole ifupdown interfaces.d file for every interface. */
int netcfg_render_eni(const struct netcfg *cfg, struct strbuf *out);

/* Applies cfg to the running system through rtnetlink (the current
 * network namespace): renames, link up, MTU, addresses, routes, then
 * ROOT/etc/resolv.conf and DHCP (udhcpc / udhcpc6 from ROOT via
 * prov_run; without them DHCP is logged as not applied). Dry-run only
 * prints the actions. Continues past per-item failures; returns 0, or -1
 * with the first failure in err. */
int netcfg_live(struct prov_ctx *ctx, const struct netcfg *cfg, struct strbuf *err);

/* Which way netcfg_apply goes for ROOT. */
enum netcfg_backend { NETCFG_NETWORKD, NETCFG_IFUPDOWN, NETCFG_LIVE };
enum netcfg_backend netcfg_backend_for(const struct prov_ctx *ctx);

/* The runner's entry point (network/local stage) with the datasource's
 * network-config document: parse, resolve against ROOT/sys/class/net,
 * then write ROOT/etc/systemd/network/10-egs-NAME.network (+ .link for
 * renames) when ROOT has systemd-networkd, else
 * ROOT/etc/network/interfaces.d/50-egs when ROOT has ifupdown, else
 * netcfg_live. `config: disabled` and an empty document do nothing.
 * Returns 0, or -1 with a one-line reason in err. */
int netcfg_apply(struct prov_ctx *ctx, const struct ynode *doc, struct strbuf *err);

#endif
