/*
 * NFQUEUE through libmnl (nfq.h).
 *
 * Setup is one config message carrying the bind command, copy-packet mode, the queue length and
 * the fail-open flag (the kernel applies them in that order), acknowledged. Binding first and
 * configuring after would let packets arrive in between with the default copy mode; they are
 * accepted anyway if any come while we wait for the acknowledgement, so none is ever left
 * without a verdict.
 *
 * Receiving: recvmmsg() with MSG_WAITFORONE over `batch` buffers of 72 KiB (a whole 65535-byte
 * packet plus the netlink attributes), with SO_RCVTIMEO as the timeout so the worker can look at
 * its flags (stop, reload) at least that often. Verdict messages are appended to one buffer and
 * sent by one sendmsg() per batch: nfnetlink walks every message of a datagram.
 */
#include "shield/nfq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/types.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "core/err.h"

#define RX_BUF (65536 + 8192)
#define VERDICT_MSG 64 /* room for one verdict message (it takes 32 bytes) */
#define CFG_BUF 1024

struct sw_nfq {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t queue;
	unsigned batch;
	uint8_t *rx; /* batch buffers of RX_BUF bytes */
	struct mmsghdr *mm;
	struct iovec *iov;
	char vbuf[SW_NFQ_MAX_BATCH * VERDICT_MSG];
	size_t voff;
	unsigned vpending;
	struct sw_nfq_stats st;
};

int sw_nfq_parse(const void *msg, size_t len, struct sw_nfq_pkt *ret)
{
	const struct nlmsghdr *nlh = msg;
	if (len < sizeof(*nlh) || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return SW_E_SYNTAX;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return SW_E_SYNTAX;
	struct nlattr *attr[NFQA_MAX + 1];
	memset(attr, 0, sizeof(attr));
	if (nfq_nlmsg_parse((struct nlmsghdr *)nlh, attr) < 0)
		return SW_E_SYNTAX;
	if (!attr[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(struct nfqnl_msg_packet_hdr))
		return SW_E_SYNTAX;
	struct nfqnl_msg_packet_hdr ph;
	memcpy(&ph, mnl_attr_get_payload(attr[NFQA_PACKET_HDR]), sizeof(ph));
	ret->id = ntohl(ph.packet_id);
	ret->hook = ph.hook;
	ret->hw_proto = ntohs(ph.hw_protocol);
	if (attr[NFQA_PAYLOAD]) {
		ret->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		ret->len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	} else {
		ret->data = NULL;
		ret->len = 0;
	}
	return 0;
}

/* Accept every packet in a buffer received while waiting for an acknowledgement. */
static void accept_stray(struct sw_nfq *q, const void *buf, size_t n)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)n;
	while (mnl_nlmsg_ok(nlh, left)) {
		struct sw_nfq_pkt p;
		if (sw_nfq_parse(nlh, (size_t)left, &p) == 0) {
			q->st.received++;
			sw_nfq_verdict(q, p.id, true);
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	sw_nfq_flush(q);
}

/* Send one config request and wait for its acknowledgement: 0 or -errno. */
static int cfg_request(struct sw_nfq *q, struct nlmsghdr *nlh)
{
	static uint32_t seq_base;
	uint32_t seq = ++seq_base ^ (uint32_t)q->queue << 16;
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	char *buf = (char *)q->rx; /* not in use yet */
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(q->nl, buf, RX_BUF);
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -errno;
		}
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		int left = (int)n;
		bool packets = false;
		while (mnl_nlmsg_ok(h, left)) {
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				return e->error; /* 0: the acknowledgement */
			}
			packets = true;
			h = mnl_nlmsg_next(h, &left);
		}
		if (packets)
			accept_stray(q, buf, (size_t)n);
	}
}

/* CAP_NET_ADMIN in the effective set (/proc/self/status CapEff, bit 12). */
static bool have_net_admin(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	char line[256];
	unsigned long long caps = 0;
	bool found = false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0) {
			caps = strtoull(line + 7, NULL, 16);
			found = true;
			break;
		}
	fclose(f);
	return found && (caps >> 12 & 1);
}

/*
 * The kernel answers EPERM both to a program without CAP_NET_ADMIN and to a bind of a queue that
 * another socket holds; the capability tells which.
 */
static void explain(int e, uint16_t queue, char *err, size_t errlen)
{
	if ((e == EPERM || e == EACCES) && have_net_admin())
		e = EBUSY;
	switch (e) {
	case EBUSY:
		snprintf(
			err, errlen,
			"queue %u is already in use by another program (another sipwarden shield?)",
			queue);
		break;
	case EPERM:
	case EACCES:
		snprintf(err, errlen,
			 "binding NFQUEUE queue %u needs root or CAP_NET_ADMIN (run as root)",
			 queue);
		break;
	case EPROTONOSUPPORT:
	case EOPNOTSUPP:
	case ENOENT:
		snprintf(err, errlen,
			 "the kernel has no NFQUEUE support (load it with 'modprobe "
			 "nfnetlink_queue', or build CONFIG_NETFILTER_NETLINK_QUEUE)");
		break;
	default:
		snprintf(err, errlen, "NFQUEUE queue %u: %s", queue, strerror(e));
	}
}

int sw_nfq_open(uint16_t queue, const struct sw_nfq_opts *o, struct sw_nfq **ret, char *err,
		size_t errlen)
{
	int e;
	struct sw_nfq *q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return SW_E_NOMEM;
	}
	q->queue = queue;
	q->batch = o->batch ? o->batch : 64;
	if (q->batch > SW_NFQ_MAX_BATCH)
		q->batch = SW_NFQ_MAX_BATCH;
	q->rx = malloc((size_t)q->batch * RX_BUF);
	q->mm = calloc(q->batch, sizeof(*q->mm));
	q->iov = calloc(q->batch, sizeof(*q->iov));
	if (!q->rx || !q->mm || !q->iov) {
		snprintf(err, errlen, "out of memory");
		sw_nfq_close(q);
		return SW_E_NOMEM;
	}
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl) {
		e = errno;
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	int fd = mnl_socket_get_fd(q->nl);
	/* A large receive buffer rides out bursts; FORCE needs CAP_NET_ADMIN, which we have. */
	int rcvbuf = 16 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct timeval tv = {.tv_sec = o->timeout_ms / 1000,
			     .tv_usec = (suseconds_t)(o->timeout_ms % 1000) * 1000};
	if (o->timeout_ms == 0)
		tv.tv_usec = 200000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	char cbuf[CFG_BUF];
	struct nlmsghdr *nlh = nfq_nlmsg_put(cbuf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	if (o->queue_maxlen)
		nfq_nlmsg_cfg_put_qmaxlen(nlh, o->queue_maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(o->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	int rc = cfg_request(q, nlh);
	if (rc < 0) {
		e = -rc;
		goto fail;
	}
	for (unsigned i = 0; i < q->batch; i++) {
		q->iov[i].iov_base = q->rx + (size_t)i * RX_BUF;
		q->iov[i].iov_len = RX_BUF;
		q->mm[i].msg_hdr.msg_iov = &q->iov[i];
		q->mm[i].msg_hdr.msg_iovlen = 1;
	}
	*ret = q;
	return 0;
fail:
	explain(e, queue, err, errlen);
	sw_nfq_close(q);
	return SW_E_IO;
}

void sw_nfq_close(struct sw_nfq *q)
{
	if (!q)
		return;
	if (q->nl) {
		sw_nfq_flush(q);
		char cbuf[CFG_BUF];
		struct nlmsghdr *nlh = nfq_nlmsg_put(cbuf, NFQNL_MSG_CONFIG, q->queue);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
		mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len); /* closing unbinds anyway */
		mnl_socket_close(q->nl);
	}
	free(q->rx);
	free(q->mm);
	free(q->iov);
	free(q);
}

int sw_nfq_recv(struct sw_nfq *q, struct sw_nfq_pkt *pkts, unsigned max)
{
	if (max > q->batch)
		max = q->batch;
	for (unsigned i = 0; i < max; i++) {
		q->mm[i].msg_hdr.msg_flags = 0;
		q->mm[i].msg_len = 0;
	}
	int n = recvmmsg(mnl_socket_get_fd(q->nl), q->mm, max, MSG_WAITFORONE, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			/* packets were lost (fail-open: the kernel accepted them) */
			q->st.overruns++;
			return 0;
		}
		return SW_E_IO;
	}
	unsigned got = 0;
	for (int i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = q->iov[i].iov_base;
		int left = (int)q->mm[i].msg_len;
		while (mnl_nlmsg_ok(nlh, left)) {
			struct sw_nfq_pkt p;
			if (sw_nfq_parse(nlh, (size_t)left, &p) != 0) {
				q->st.bad_msgs++;
			} else if (got < max) {
				q->st.received++;
				pkts[got++] = p;
			} else {
				/* more messages in one datagram than slots: let it pass */
				q->st.received++;
				sw_nfq_verdict(q, p.id, true);
			}
			nlh = mnl_nlmsg_next(nlh, &left);
		}
	}
	return (int)got;
}

void sw_nfq_verdict(struct sw_nfq *q, uint32_t id, bool accept)
{
	if (q->voff + VERDICT_MSG > sizeof(q->vbuf))
		sw_nfq_flush(q);
	struct nlmsghdr *nlh = nfq_nlmsg_put(q->vbuf + q->voff, NFQNL_MSG_VERDICT, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, accept ? NF_ACCEPT : NF_DROP);
	q->voff += NLMSG_ALIGN(nlh->nlmsg_len);
	q->vpending++;
	if (accept)
		q->st.accepted++;
	else
		q->st.dropped++;
}

int sw_nfq_flush(struct sw_nfq *q)
{
	if (q->voff == 0)
		return 0;
	ssize_t r;
	do
		r = mnl_socket_sendto(q->nl, q->vbuf, q->voff);
	while (r < 0 && errno == EINTR);
	q->voff = 0;
	q->vpending = 0;
	if (r < 0) {
		q->st.send_errors++;
		return SW_E_IO;
	}
	return 0;
}

const struct sw_nfq_stats *sw_nfq_stats(const struct sw_nfq *q)
{
	return &q->st;
}
