/* The kernel's routing tables through rtnetlink, for what /proc/net/route
 * cannot show: routes in tables other than main (policy routing, VPNs,
 * multi-WAN) and every nexthop of a multipath route. Live host only. */
#ifndef PT_NETLINK_H
#define PT_NETLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

struct pt_default_route {
	char ifname[IF_NAMESIZE];
	unsigned table; /* 254 is main */
	bool v6;
};

/* Every default route (IPv4 and IPv6, every table, every nexthop), as the
 * interfaces they leave through; a malloc'd array in *out. Returns how
 * many, or -errno when rtnetlink cannot be asked. */
int pt_default_routes(struct pt_default_route **out);

#endif
