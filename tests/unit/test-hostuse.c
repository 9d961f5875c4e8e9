/* The pure pieces of the host-use answer: TCP connections, addresses on
 * interfaces, mountinfo. */
#include "hostuse.h"
#include "tap.h"

#include <string.h>

int main(void)
{
	/* /proc/net/tcp on x86: 10.0.2.15:22 <-> 10.0.2.2:51234 established,
	 * a listener, and a loopback connection */
	const char *tcp =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1\n"
		"   1: 0F02000A:0016 0202000A:C822 01 00000000:00000000 02:000A7C1F 00000000     0        0 101 4\n"
		"   2: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 102 1\n";
	struct pt_tcp_conn c[8];
	size_t n = pt_tcp_established(tcp, false, c, 8);
	char buf[64];

	ok(n == 1, "one established non-loopback IPv4 connection (got %zu)", n);
	pt_tcp_endpoint(&c[0], true, buf, sizeof(buf));
	ok(strcmp(buf, "10.0.2.15:22") == 0, "its local end: %s", buf);
	pt_tcp_endpoint(&c[0], false, buf, sizeof(buf));
	ok(strcmp(buf, "10.0.2.2:51234") == 0, "its remote end: %s", buf);
	ok(pt_tcp_established("garbage\n   0: zz\n", false, c, 8) == 0, "garbage gives nothing");
	ok(pt_tcp_established(tcp, false, c, 0) == 0, "room for none, none stored");

	/* tcp6: 2001:db8::5:22 <-> 2001:db8::9 established; a v4-mapped one */
	const char *tcp6 =
		"  sl  local_address                         remote_address                        st\n"
		"   0: B80D0120000000000000000005000000:0016 B80D0120000000000000000009000000:D431 01 0 0\n"
		"   1: 0000000000000000FFFF00000F02000A:0016 0000000000000000FFFF00000202000A:D432 01 0 0\n"
		"   2: 00000000000000000000000001000000:0016 00000000000000000000000001000000:D433 01 0 0\n";
	n = pt_tcp_established(tcp6, true, c, 8);
	ok(n == 2, "two established connections in tcp6, ::1 left out (got %zu)", n);
	pt_tcp_endpoint(&c[0], true, buf, sizeof(buf));
	ok(c[0].v6 && strcmp(buf, "[2001:db8::5]:22") == 0, "IPv6 local end: %s", buf);
	pt_tcp_endpoint(&c[1], true, buf, sizeof(buf));
	ok(!c[1].v6 && strcmp(buf, "10.0.2.15:22") == 0, "a v4-mapped address comes out as IPv4: %s", buf);

	const char *route =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"br0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		"br0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
	unsigned char a[4] = { 10, 0, 2, 15 }, b[4] = { 10, 0, 3, 15 };
	ok(pt_route_on_link(route, "br0", a), "10.0.2.15 is on br0's subnet");
	ok(!pt_route_on_link(route, "br0", b), "10.0.3.15 is not (the default route does not count)");
	ok(!pt_route_on_link(route, "eth0", a), "nor is it on eth0");

	const char *inet6 = "20010db8000000000000000000000005 02 40 00 80     br0\n"
			    "fe800000000000000000000000000001 02 40 20 80     br0\n";
	unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };
	ok(pt_inet6_on(inet6, "br0", v6), "2001:db8::5 is br0's");
	ok(!pt_inet6_on(inet6, "eth0", v6), "not eth0's");

	/* mountinfo: by major:minor, and by source for btrfs's anonymous 0:N */
	const char *mi = "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
			 "40 22 0:45 /@home /home rw,relatime shared:2 - btrfs /dev/sdb1 rw,space_cache=v2\n"
			 "41 22 0:46 / /tank rw - zfs tank rw\n";
	char where[64], type[16];
	ok(pt_mountinfo_find(mi, "8:2", "sda2", where, sizeof(where), type, sizeof(type)) &&
	   strcmp(where, "/") == 0 && strcmp(type, "ext4") == 0, "sda2 by major:minor: / ext4");
	ok(pt_mountinfo_find(mi, "8:17", "sdb1", where, sizeof(where), type, sizeof(type)) &&
	   strcmp(where, "/home") == 0 && strcmp(type, "btrfs") == 0, "sdb1 by its source: /home btrfs");
	ok(!pt_mountinfo_find(mi, "8:3", "sda3", where, sizeof(where), type, sizeof(type)), "sda3 is not mounted");
	ok(!pt_mountinfo_find(mi, "", "sd", where, sizeof(where), type, sizeof(type)), "no prefix matches");
	ok(!pt_mountinfo_find("1 2 8:2 / /x rw\n", "8:2", "sda2", where, sizeof(where), type, sizeof(type)),
	   "a line without its ' - ' separator is skipped");
	return tap_done();
}
