#include "netlink.h"
#include "msg.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void add(struct pt_default_route **v, int *n, int ifindex, unsigned table, bool v6)
{
	char name[IF_NAMESIZE];

	if (ifindex <= 0 || !if_indextoname((unsigned)ifindex, name))
		return;
	*v = pt_xrealloc(*v, (size_t)(*n + 1) * sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	memcpy((*v)[*n].ifname, name, sizeof(name));
	(*v)[*n].table = table;
	(*v)[*n].v6 = v6;
	(*n)++;
}

/* One route message: a default route (no destination prefix) of type
 * unicast, its output interface or each nexthop's. */
static void parse_route(struct nlmsghdr *h, struct pt_default_route **v, int *n)
{
	struct rtmsg *rt = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rt));
	unsigned table = rt->rtm_table;
	int oif = 0;
	struct rtattr *mp = NULL;

	if (len < 0 || rt->rtm_dst_len != 0 || rt->rtm_type != RTN_UNICAST)
		return;
	for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int))
			memcpy(&oif, RTA_DATA(a), sizeof(int));
		else if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= sizeof(unsigned))
			memcpy(&table, RTA_DATA(a), sizeof(unsigned));
		else if (a->rta_type == RTA_MULTIPATH)
			mp = a;
	}
	if (table == RT_TABLE_LOCAL)
		return;
	if (oif)
		add(v, n, oif, table, rt->rtm_family == AF_INET6);
	if (mp) {
		int ml = (int)RTA_PAYLOAD(mp);

		for (struct rtnexthop *nh = RTA_DATA(mp); RTNH_OK(nh, ml); ml -= NLMSG_ALIGN(nh->rtnh_len),
		     nh = RTNH_NEXT(nh))
			add(v, n, nh->rtnh_ifindex, table, rt->rtm_family == AF_INET6);
	}
}

static int dump(int fd, int family, struct pt_default_route **v, int *n)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
	} req;
	static char buf[1 << 16];
	unsigned seq = (unsigned)family + 1;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.r));
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.r.rtm_family = (unsigned char)family;
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		int left = (int)got;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error ? e->error : -EIO;
			}
			if (h->nlmsg_type == RTM_NEWROUTE)
				parse_route(h, v, n);
		}
	}
}

int pt_default_routes(struct pt_default_route **out)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), rc, n = 0;

	*out = NULL;
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	/* a dump with RT_TABLE_UNSPEC returns the routes of every table */
	rc = dump(fd, AF_INET, out, &n);
	if (rc == 0)
		rc = dump(fd, AF_INET6, out, &n);
	close(fd);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		return rc;
	}
	return n;
}
