/*
 * One NFQUEUE queue, through libmnl and libnetfilter_queue's nfq_nlmsg_* helpers.
 *
 * A queue belongs to one thread: the shield runs one worker per queue, each with its own
 * netlink socket. Packets are copied whole to user space (copy-packet mode, 65535 bytes) and
 * received in batches: one recvmmsg() fetches every message waiting, up to the batch size.
 * Verdicts are collected and sent together, several verdict messages in one sendmsg(), so a
 * batch of packets costs two system calls, not two per packet.
 *
 * Fail-open (the default) sets the kernel's NFQA_CFG_F_FAIL_OPEN: when the queue is full the
 * kernel accepts instead of dropping. Fail-closed clears it. (The rule's --queue-bypass covers
 * the other case, no program bound to the queue at all; see fwrules.h.)
 */
#ifndef SW_SHIELD_NFQ_H
#define SW_SHIELD_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_NFQ_MAX_BATCH 256

/* Netfilter hooks as NFQUEUE reports them (NF_INET_*). */
enum { SW_NFQ_HOOK_INPUT = 1, SW_NFQ_HOOK_OUTPUT = 3 };

struct sw_nfq_opts {
	bool fail_open;        /* NFQA_CFG_F_FAIL_OPEN: accept when the queue is full */
	uint32_t queue_maxlen; /* packets the kernel holds for us (0: kernel default, 1024) */
	unsigned batch;        /* most packets per sw_nfq_recv() (<= SW_NFQ_MAX_BATCH) */
	unsigned timeout_ms;   /* sw_nfq_recv() returns 0 after this long without a packet */
};

/* One queued packet: views into the queue's receive buffers, valid until the next recv. */
struct sw_nfq_pkt {
	uint32_t id;         /* the kernel's packet id, for the verdict */
	uint8_t hook;        /* SW_NFQ_HOOK_INPUT, SW_NFQ_HOOK_OUTPUT, ... */
	uint16_t hw_proto;   /* ETH_P_IP / ETH_P_IPV6, host order */
	const uint8_t *data; /* the IP packet (NULL when the message carried none) */
	uint32_t len;
};

struct sw_nfq_stats {
	uint64_t received, accepted, dropped;
	uint64_t overruns;    /* ENOBUFS: the socket buffer overflowed, packets were lost */
	uint64_t send_errors; /* verdict batches the kernel refused */
	uint64_t bad_msgs;    /* netlink messages that were not a queued packet */
};

struct sw_nfq;

/*
 * Bind queue number queue and configure it. Errors come back as one line in err saying what
 * and how to fix it:
 *   SW_E_IO with "queue N is already in use by another program (another sipwarden shield?)"
 *   (EBUSY), "... needs root or CAP_NET_ADMIN" (EPERM), "the kernel has no NFQUEUE
 *   support ..." (nfnetlink_queue missing), or the netlink error otherwise.
 */
int sw_nfq_open(uint16_t queue, const struct sw_nfq_opts *o, struct sw_nfq **ret, char *err,
		size_t errlen);

/* Unbind and close; accepts NULL. Packets still queued are accepted (fail-open) or dropped
 * by the kernel as the rule says when nobody listens. */
void sw_nfq_close(struct sw_nfq *q);

/*
 * Wait up to timeout_ms for packets and return how many were put in pkts (at most max and the
 * batch size): 0 on timeout or EINTR, negative SW_E_IO on a socket error (errno kept).
 */
int sw_nfq_recv(struct sw_nfq *q, struct sw_nfq_pkt *pkts, unsigned max);

/* Queue a verdict (accept or drop) for packet id; sent by sw_nfq_flush, or when the batch of
 * pending verdicts is full. */
void sw_nfq_verdict(struct sw_nfq *q, uint32_t id, bool accept);

/* Send every pending verdict in one sendmsg(). 0 or SW_E_IO. */
int sw_nfq_flush(struct sw_nfq *q);

const struct sw_nfq_stats *sw_nfq_stats(const struct sw_nfq *q);

/*
 * Parse one netlink message as a queued packet (exposed for the tests). 0 with *ret filled,
 * SW_E_SYNTAX when it is not a well-formed NFQNL_MSG_PACKET.
 */
int sw_nfq_parse(const void *msg, size_t len, struct sw_nfq_pkt *ret);

#endif
