/*
 * The kernel deny set's XDP program (denyset_xdp.c loads it): drops UDP packets to the SIP ports
 * whose source is a denied address or prefix whose entry has not expired, before the kernel
 * allocates anything for them. Everything else passes untouched; the shield still sees and judges
 * it in user space.
 *
 * Parsing: Ethernet with at most one 802.1Q/802.1ad tag; IPv4 with options (the header length is
 * read from IHL), where a non-first fragment passes (it has no UDP header; user space reassembles
 * and judges it); IPv6 with up to four hop-by-hop, routing, destination-options or fragment
 * headers before UDP (a non-first fragment passes). Anything longer or stranger passes: the
 * program only ever saves user space work, it is never the only line of defence.
 *
 * Settings are read-only data set by the loader before the program is loaded (skeleton rodata),
 * so the verifier sees them as constants.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp_deny.h"

const volatile __u32 nports = 0;
const volatile __u16 ports[SW_XDP_MAX_PORTS] = {0}; /* network byte order */
const volatile __u32 ipv6_prefix = 64;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, struct sw_xdp_entry);
	__uint(max_entries, 65536); /* the loader sets max-entries */
} deny4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct sw_xdp_key6);
	__type(value, struct sw_xdp_entry);
	__uint(max_entries, 65536);
} deny6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, SW_XDP__NCOUNTERS);
} counters SEC(".maps");

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

struct frag6 {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in the top 13 bits */
	__be32 id;
};

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);
	if (c)
		*c += 1;
}

static __always_inline int sip_port(__be16 port)
{
#pragma unroll
	for (int i = 0; i < SW_XDP_MAX_PORTS; i++) {
		if ((__u32)i >= nports)
			break;
		if (ports[i] == port)
			return 1;
	}
	return 0;
}

/*
 * 1 when key is in map and not expired; an expired entry is deleted (aged out). User space may
 * renew the entry between the lookup and the delete; that renewal is then lost and the source's
 * packets go to user space again, which denies and re-adds it: a rare, harmless miss.
 */
static __always_inline int denied(void *map, const void *key)
{
	struct sw_xdp_entry *e = bpf_map_lookup_elem(map, key);
	if (!e)
		return 0;
	if (e->expires_ns > bpf_ktime_get_ns())
		return 1;
	bpf_map_delete_elem(map, key);
	count(SW_XDP_EXPIRED);
	return 0;
}

static __always_inline int denied6(const struct in6_addr *src)
{
	struct sw_xdp_key6 k = {.plen = 128};
	__builtin_memcpy(k.addr, src, 16);
	if (ipv6_prefix < 128) {
		struct sw_xdp_key6 m = {.plen = ipv6_prefix};
#pragma unroll
		for (int i = 0; i < 16; i++) {
			int bits = (int)ipv6_prefix - i * 8;
			__u8 mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (__u8)(0xff << (8 - bits));
			m.addr[i] = k.addr[i] & mask;
		}
		if (denied(&deny6, &m))
			return 1;
	}
	return denied(&deny6, &k);
}

SEC("xdp")
int sw_xdp_deny(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	__be16 proto = eth->h_proto;
	void *l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_tag *v = l3;
		if ((void *)(v + 1) > end)
			return XDP_PASS;
		proto = v->proto;
		l3 = v + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		if (ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(0x1fff)))
			return XDP_PASS;
		__u32 ihl = (__u32)ip->ihl * 4;
		if (ihl < sizeof(*ip))
			return XDP_PASS;
		struct udphdr *udp = (void *)ip + ihl;
		if ((void *)(udp + 1) > end)
			return XDP_PASS;
		if (!sip_port(udp->dest))
			return XDP_PASS;
		__u32 key = ip->saddr;
		if (!denied(&deny4, &key))
			return XDP_PASS;
		count(SW_XDP_DROPS);
		return XDP_DROP;
	}

	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		__u8 next = ip6->nexthdr;
		void *p = ip6 + 1;
#pragma unroll
		for (int i = 0; i < 4; i++) {
			if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			    next == IPPROTO_DSTOPTS) {
				struct ipv6_opt_hdr *h = p;
				if ((void *)(h + 1) > end)
					return XDP_PASS;
				next = h->nexthdr;
				p += ((__u32)h->hdrlen + 1) * 8;
			} else if (next == IPPROTO_FRAGMENT) {
				struct frag6 *f = p;
				if ((void *)(f + 1) > end)
					return XDP_PASS;
				if (f->frag_off & bpf_htons(0xfff8))
					return XDP_PASS;
				next = f->nexthdr;
				p = f + 1;
			}
		}
		if (next != IPPROTO_UDP)
			return XDP_PASS;
		struct udphdr *udp = p;
		if ((void *)(udp + 1) > end)
			return XDP_PASS;
		if (!sip_port(udp->dest))
			return XDP_PASS;
		if (!denied6(&ip6->saddr))
			return XDP_PASS;
		count(SW_XDP_DROPS);
		return XDP_DROP;
	}
	return XDP_PASS;
}

/* GPL-compatible, as the kernel requires of programs that use its GPL-only helpers. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
