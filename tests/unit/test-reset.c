/* Pure pieces of gpu-reset and vfio-bind's safety checks: verifying a
 * reset from two config snapshots, the known-trouble table, default routes. */
#include "hostuse.h"
#include "reset.h"
#include "tap.h"

static void snap(struct pt_reset_snapshot *s, unsigned vendor, unsigned device, unsigned cmd, unsigned bar0)
{
	memset(s, 0, sizeof(*s));
	s->ok = true;
	s->cfg[0] = vendor & 0xff, s->cfg[1] = vendor >> 8;
	s->cfg[2] = device & 0xff, s->cfg[3] = device >> 8;
	s->cfg[4] = cmd & 0xff, s->cfg[5] = cmd >> 8;
	s->cfg[0x10] = bar0 & 0xff, s->cfg[0x11] = (bar0 >> 8) & 0xff;
	s->cfg[0x12] = (bar0 >> 16) & 0xff, s->cfg[0x13] = bar0 >> 24;
}

int main(void)
{
	struct pt_reset_snapshot a, b;
	char buf[256];
	const struct pt_reset_quirk *q;

	snap(&a, 0x8086, 0x10d3, 0x0406, 0xfebc0000);
	snap(&b, 0x8086, 0x10d3, 0x0406, 0xfebc0000);
	ok(pt_reset_compare(&a, &b, buf, sizeof(buf)) == NULL, "same IDs, command and BARs: came back");
	snap(&b, 0x8086, 0x10d3, 0x0000, 0xfebc0000);
	is_str(pt_reset_compare(&a, &b, buf, sizeof(buf)), "command register 0406 before, 0000 after",
	       "a lost command register is reported");
	snap(&b, 0x8086, 0x10d3, 0x0406, 0x00000000);
	is_str(pt_reset_compare(&a, &b, buf, sizeof(buf)), "BAR0 febc0000 before, 00000000 after",
	       "a lost BAR is reported");
	snap(&b, 0xffff, 0xffff, 0xffff, 0xffffffff);
	memset(b.cfg, 0xff, sizeof(b.cfg));
	is_str(pt_reset_compare(&a, &b, buf, sizeof(buf)), "config space reads all ones: the device did not come back",
	       "all ones: gone");
	b.ok = false;
	is_str(pt_reset_compare(&a, &b, buf, sizeof(buf)), "config space unreadable after the reset", "unreadable");

	q = pt_reset_quirk_find(0x1002, 0x67df, 0x0300);
	ok(q && strstr(q->family, "Polaris 10") && q->remedy && !strcmp(q->remedy, "vendor-reset"), "RX 580: Polaris, vendor-reset");
	q = pt_reset_quirk_find(0x1002, 0x7550, 0x0300);
	ok(q && q->remedy == NULL && strstr(q->family, "Navi 48"), "RX 9070: Navi 48, no known fix (no remedy)");
	q = pt_reset_quirk_find(0x10de, 0x2206, 0x0300);
	ok(q && strstr(q->problem, "no FLR"), "GeForce: bus reset only");
	ok(pt_reset_quirk_find(0x10de, 0x1aef, 0x0403) == NULL, "a GeForce's audio function is not in the table");
	ok(pt_reset_quirk_find(0x8086, 0x10d3, 0x0200) == NULL, "an Intel NIC is not in the table");

	{
		const char *route = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
				    "eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
				    "eth1\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
		const char *v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
				 "fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth2\n"
				 "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
				 "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
		ok(pt_route_is_default(route, "", "eth0"), "IPv4 default route on eth0");
		ok(!pt_route_is_default(route, "", "eth1"), "a subnet route is not a default route");
		ok(pt_route_is_default("", v6, "eth2"), "IPv6 default route on eth2");
		ok(!pt_route_is_default("", v6, "lo"), "lo's unreachable default does not count");
		ok(!pt_route_is_default(route, v6, "eth3"), "another interface");
	}
	return tap_done();
}
