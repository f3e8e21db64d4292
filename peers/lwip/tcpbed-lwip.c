/* tcpbed-lwip: lwIP's TCP as a tcpbed peer, over the peer protocol
 * (docs/peer-protocol.md, version 1 over IPv4 and version 2 over IPv6) on
 * standard input and output.
 *
 * One thread drives lwIP through its raw API, as a NO_SYS system would:
 * a packet from tcpbed goes to ip4_input or ip6_input, a packet lwIP sends
 * leaves through the netif's output (or output_ip6) function as a
 * PACKET_OUT event, and lwIP's timers run in sys_check_timeouts. lwIP's
 * clock is tcpbed's: this program defines sys_now, which Debian's
 * liblwip.so calls through its PLT, so this definition takes the place of
 * the library's real-time one, and every request sets it to the request's
 * now. The tcpip thread is never
 * started, so lwIP's core-lock check (which only applies once that thread
 * has marked itself) has nothing to check.
 *
 * What Debian's build fixes at compile time (lwipopts.h, lwip/opt.h,
 * lwip/priv/tcp_priv.h) the adapter cannot change: a HELLO option asking
 * for another value is answered UNSUPPORTED, naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/nd6_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"

#include "frame.h"

/* Peer protocol constants (docs/peer-protocol.md 2 to 5). */
enum { REQ_HELLO = 1, REQ_SETOPT, REQ_PACKET, REQ_ADVANCE, REQ_LISTEN, REQ_DIAL, REQ_ACCEPT, REQ_WRITE, REQ_READ, REQ_SHUTDOWN, REQ_CLOSE, REQ_ABORT, REQ_STATE, REQ_COUNTERS, REQ_PACKETS };
enum { PACKET_OUT = 0x40, STATE_CHANGE = 0x41, TAKING = 0x42, REPLY = 0x80 };
enum {
	ST_OK = 0, ST_WOULD_BLOCK = 1, ST_EOF = 2, ST_UNSUPPORTED = 3,
	ST_ECONNRESET = 16, ST_ECONNREFUSED, ST_ETIMEDOUT, ST_ECONNABORTED, ST_EPIPE,
	ST_ENOTCONN, ST_EADDRINUSE, ST_EINVAL, ST_EBADF, ST_ENOBUFS, ST_OTHER = 31
};
enum {
	OPT_SACK = 1, OPT_NAGLE, OPT_MAX_RTO, OPT_SYN_RETRIES, OPT_DATA_RETRIES, OPT_MSL,
	OPT_CONGESTION, OPT_WINDOW_SCALE, OPT_TIMESTAMPS, OPT_RECV_BUFFER, OPT_SEND_BUFFER,
	OPT_KEEPALIVE = 16, OPT_KEEPIDLE, OPT_KEEPINTVL, OPT_KEEPCNT, OPT_NODELAY, OPT_LINGER
};
#define CAP_STATES 0x1u
#define CAP_ADVANCE_UNTIL 0x8u
#define CAP_BURSTS 0x10u
#define MAX_BURST 64
#define NEVER UINT64_MAX
#define NS_PER_MS 1000000ull
#define MAX_CONNS 4096

/* The clock: tcpbed's now, in nanoseconds; lwIP reads it in milliseconds. */
static uint64_t now_ns;

/* observed counts what tcpbed or the application could see lwIP do: a
 * packet, a state change, a connection's callback (data or a FIN
 * arrived, an error ended it, a handshake completed). An ADVANCE with
 * until runs lwIP's timers until it grows (advance). */
static unsigned long observed;

u32_t sys_now(void) { return (u32_t)(now_ns / NS_PER_MS); }

/* lwIP hands work to its tcpip thread with tcpip_try_callback (the
 * loopback netif's poll, for a packet it sends to itself or to 127/8).
 * There is no such thread here: liblwip.so calls this definition through
 * its PLT, and the adapter runs the queued work itself once the request's
 * own work is done, as that thread would have run it next. */
#define MAX_CALLBACKS 256
static struct { tcpip_callback_fn fn; void *ctx; } callbacks[MAX_CALLBACKS];
static int ncallbacks;

err_t tcpip_try_callback(tcpip_callback_fn fn, void *ctx)
{
	if (ncallbacks == MAX_CALLBACKS)
		return ERR_MEM;
	callbacks[ncallbacks].fn = fn;
	callbacks[ncallbacks].ctx = ctx;
	ncallbacks++;
	return ERR_OK;
}

static void run_callbacks(void)
{
	for (int i = 0; i < ncallbacks; i++) /* a callback may queue more */
		callbacks[i].fn(callbacks[i].ctx);
	ncallbacks = 0;
}

/* The stack's settings, from HELLO. */
static struct netif nif;
static int ipv6;        /* the run speaks version 2: IPv6, 16-byte addresses */
static ip_addr_t own_addr;
static int nagle;           /* Nagle's algorithm on (NAGLE=1); off otherwise, as tcpbed's own stacks run */
static uint32_t send_limit; /* each connection's send buffer, bytes; 0: lwIP's TCP_SND_BUF */

/* A connection's state as last reported, for every pcb lwIP holds: the
 * adapter reports state changes by comparing lwIP's pcb lists with it
 * (lwIP has no callback for a state change). */
struct track {
	void *pcb;
	u16_t local_port, remote_port;
	ip_addr_t remote_ip;
	u8_t state;      /* lwIP's enum tcp_state, which has the protocol's codes */
	int alive, seen;
};
static struct track tracks[MAX_CONNS];
static int ntracks;

/* A handle: a connection or a listener. pcb is NULL once lwIP freed it or
 * the application let it go (CLOSE, ABORT); the track stays, for STATE. */
struct conn {
	struct tcp_pcb *pcb;
	int track; /* index in tracks, -1 if none */
	int listener;
	int connected;      /* the handshake completed */
	int app_gone;       /* CLOSE or ABORT was called */
	int wr_shut;        /* SHUTDOWN or CLOSE was called */
	int eof;            /* the peer's FIN arrived */
	uint8_t err;        /* the status of the error that ended it, 0 if none */
	struct pbuf *rx;    /* received bytes not yet read */
	u16_t local_port, remote_port;
	ip_addr_t remote_ip;
	/* a listener's established connections not yet accepted, by handle,
	 * at most backlog of them */
	uint32_t *queue;
	int qlen, qcap;
	uint32_t backlog;
};
static struct conn conns[MAX_CONNS]; /* handle h is conns[h]; 0 is never used */
static uint32_t nconns = 1;

/* ---- addresses: 4 bytes in version 1, 16 in version 2 ---- */

static void out_addr(const ip_addr_t *a)
{
	if (ipv6)
		out_bytes(ip_2_ip6(a)->addr, 16); /* four u32s, each in network order */
	else
		out_bytes(&ip_2_ip4(a)->addr, 4);
}

static void in_addr(struct in_frame *f, ip_addr_t *a)
{
	if (ipv6) {
		ip6_addr_t *a6 = ip_2_ip6(a);
		IP_SET_TYPE_VAL(*a, IPADDR_TYPE_V6);
		for (int i = 0; i < 16; i++)
			((uint8_t *)a6->addr)[i] = in_u8(f);
		ip6_addr_clear_zone(a6); /* tcpbed's addresses are global (RFC 3849): no zone */
	} else {
		u32_t a4;
		for (int i = 0; i < 4; i++)
			((uint8_t *)&a4)[i] = in_u8(f);
		ip_addr_set_ip4_u32_val(*a, a4);
	}
}

/* any_addr is the run's family's unspecified address: a listener's
 * remote, and what a socket binds to. */
static const ip_addr_t *any_addr(void) { return ipv6 ? IP6_ADDR_ANY : IP4_ADDR_ANY; }

/* new_pcb makes a pcb of the run's family. */
static struct tcp_pcb *new_pcb(void) { return ipv6 ? tcp_new_ip_type(IPADDR_TYPE_V6) : tcp_new(); }

/* ---- state tracking ---- */

static void report_state(const struct track *t, u8_t from, u8_t to)
{
	observed++;
	out_begin(STATE_CHANGE);
	out_u64(now_ns);
	out_addr(&own_addr);
	out_u16(t->local_port);
	out_addr(&t->remote_ip);
	out_u16(t->remote_port);
	out_u8(from);
	out_u8(to);
	out_end();
}

static void see_pcb(void *pcb, enum tcp_state state, u16_t lport, const ip_addr_t *rip, u16_t rport)
{
	if (!rip)
		rip = any_addr(); /* a listener's (section 7) */
	if (state == CLOSED)
		return;
	for (int i = 0; i < ntracks; i++) {
		struct track *t = &tracks[i];
		if (t->alive && t->pcb == pcb && t->local_port == lport && ip_addr_cmp(&t->remote_ip, rip) && t->remote_port == rport) {
			t->seen = 1;
			if (t->state != state) {
				report_state(t, t->state, (u8_t)state);
				t->state = (u8_t)state;
			}
			return;
		}
	}
	if (ntracks == MAX_CONNS) {
		fprintf(stderr, "tcpbed-lwip: more than %d connections\n", MAX_CONNS);
		exit(1);
	}
	struct track *t = &tracks[ntracks++];
	*t = (struct track){.pcb = pcb, .local_port = lport, .remote_port = rport, .state = (u8_t)state, .alive = 1, .seen = 1};
	ip_addr_copy(t->remote_ip, *rip);
	/* A connection a listener made starts from LISTEN (section 7). */
	report_state(t, state == SYN_RCVD ? LISTEN : CLOSED, (u8_t)state);
}

/* poll_states reports every state change since the last poll: it runs
 * before each packet lwIP sends and after each request, so a state
 * entered before a packet is reported before it. */
static void poll_states(void)
{
	for (int i = 0; i < ntracks; i++)
		tracks[i].seen = 0;
	for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
		see_pcb(l, l->state, l->local_port, NULL, 0);
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		see_pcb(p, p->state, p->local_port, &p->remote_ip, p->remote_port);
	for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
		see_pcb(p, p->state, p->local_port, &p->remote_ip, p->remote_port);
	for (int i = 0; i < ntracks; i++) {
		struct track *t = &tracks[i];
		if (t->alive && !t->seen) {
			report_state(t, t->state, CLOSED);
			t->state = CLOSED;
			t->alive = 0;
		}
	}
}

static int track_of(void *pcb)
{
	poll_states();
	for (int i = ntracks - 1; i >= 0; i--)
		if (tracks[i].alive && tracks[i].pcb == pcb)
			return i;
	return -1;
}

/* ---- the link ---- */

/* send_packet puts one packet lwIP sends on the wire, as a PACKET_OUT:
 * the link is point to point, so whatever the destination, the packet
 * goes out as it is (no ARP, no Neighbor Discovery). */
static err_t send_packet(struct pbuf *p)
{
	poll_states();
	observed++;
	static uint8_t buf[65536];
	out_begin(PACKET_OUT);
	u16_t len = pbuf_copy_partial(p, buf, p->tot_len, 0);
	out_bytes(buf, len);
	out_end();
	return ERR_OK;
}

static err_t link_output(struct netif *n, struct pbuf *p, const ip4_addr_t *dst)
{
	(void)n;
	(void)dst;
	return send_packet(p);
}

/* remember_destination gives dst the destination cache entry that
 * nd6_get_next_hop_entry makes when ethip6_output sends through Neighbor
 * Discovery: dst on the link, its path MTU the link's. The link has no
 * ND, but lwIP learns a path's MTU from a Packet Too Big (nd6_input) only
 * for a destination in that cache, and sends by what it learnt
 * (nd6_get_destination_mtu, in ip6_output_if_src and
 * tcp_eff_send_mss_netif): without the entry it would ignore the error,
 * which lwIP on a real link does not. */
static void remember_destination(struct netif *n, const ip6_addr_t *dst)
{
	if (ip6_addr_ismulticast(dst))
		return;
	int slot = -1;
	for (int i = 0; i < LWIP_ND6_NUM_DESTINATIONS; i++) {
		if (ip6_addr_cmp(dst, &destination_cache[i].destination_addr))
			return;
		if (slot < 0 && ip6_addr_isany(&destination_cache[i].destination_addr))
			slot = i;
	}
	if (slot < 0) /* full: the oldest goes, as nd6_new_destination_cache_entry does */
		for (int i = slot = 0; i < LWIP_ND6_NUM_DESTINATIONS; i++)
			if (destination_cache[i].age > destination_cache[slot].age)
				slot = i;
	struct nd6_destination_cache_entry *e = &destination_cache[slot];
	ip6_addr_set(&e->destination_addr, dst);
	ip6_addr_set(&e->next_hop_addr, dst);
	e->pmtu = netif_mtu6(n);
	e->age = 0;
}

static err_t link_output6(struct netif *n, struct pbuf *p, const ip6_addr_t *dst)
{
	remember_destination(n, dst);
	return send_packet(p);
}

/* link_init gives the netif no NETIF_FLAG_MLD6: lwIP then joins no
 * solicited-node group and sends no MLD report (netif_ip6_addr_set_state). */
static err_t link_init(struct netif *n)
{
	n->name[0] = 't';
	n->name[1] = 'b';
	n->output = link_output;
	n->output_ip6 = link_output6;
	n->flags = NETIF_FLAG_UP | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/* ---- connections ---- */

static uint32_t new_conn(struct tcp_pcb *pcb, int listener)
{
	if (nconns == MAX_CONNS) {
		fprintf(stderr, "tcpbed-lwip: more than %d handles\n", MAX_CONNS);
		exit(1);
	}
	uint32_t h = nconns++;
	conns[h] = (struct conn){.pcb = pcb, .listener = listener, .track = -1};
	return h;
}

static struct conn *conn_of(void *arg) { return arg ? &conns[(uintptr_t)arg] : NULL; }

/* on_err: lwIP has already freed the pcb. */
static void on_err(void *arg, err_t err)
{
	struct conn *c = conn_of(arg);
	observed++;
	if (!c || c->listener)
		return;
	c->pcb = NULL;
	if (c->app_gone)
		return;
	switch (err) {
	case ERR_RST:
		c->err = c->connected ? ST_ECONNRESET : ST_ECONNREFUSED;
		break;
	case ERR_ABRT: /* lwIP aborts a connection whose retransmissions (or keep-alives) ran out */
		c->err = ST_ETIMEDOUT;
		break;
	case ERR_CLSD:
		c->err = ST_ENOTCONN;
		break;
	default:
		c->err = ST_ECONNABORTED;
	}
}

/* on_recv keeps what arrives until READ takes it, and opens the window
 * (tcp_recved) only then: the window is the application's buffer. */
static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = conn_of(arg);
	(void)pcb;
	(void)err;
	observed++;
	if (!p) {
		c->eof = 1;
		return ERR_OK;
	}
	if (c->rx)
		pbuf_cat(c->rx, p);
	else
		c->rx = p;
	return ERR_OK;
}

static void watch(struct tcp_pcb *pcb, uint32_t h)
{
	tcp_arg(pcb, (void *)(uintptr_t)h);
	tcp_err(pcb, on_err);
	tcp_recv(pcb, on_recv);
	if (!nagle)
		tcp_nagle_disable(pcb);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)pcb;
	(void)err;
	observed++;
	conn_of(arg)->connected = 1;
	return ERR_OK;
}

/* on_accept queues a connection that completed its handshake for ACCEPT.
 * Debian's build has TCP_LISTEN_BACKLOG 0: lwIP keeps no accept queue, and
 * the application bounds its own, as lwIP's netconn layer does
 * (accept_function in api_msg.c: a full acceptmbox returns ERR_MEM). An
 * error makes tcp_process abort the connection, with a RST. */
static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conn *l = conn_of(arg);
	observed++;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if ((uint32_t)l->qlen >= l->backlog)
		return ERR_MEM;
	uint32_t h = new_conn(pcb, 0);
	struct conn *c = &conns[h];
	c->connected = 1;
	c->local_port = pcb->local_port;
	c->remote_port = pcb->remote_port;
	ip_addr_copy(c->remote_ip, pcb->remote_ip);
	c->track = track_of(pcb);
	watch(pcb, h);
	if (l->qlen == l->qcap) {
		l->qcap = l->qcap ? 2 * l->qcap : 16;
		l->queue = realloc(l->queue, (size_t)l->qcap * sizeof *l->queue);
		if (!l->queue) {
			fprintf(stderr, "tcpbed-lwip: out of memory\n");
			exit(1);
		}
	}
	l->queue[l->qlen++] = h;
	return ERR_OK;
}

static void drop_rx(struct conn *c)
{
	if (c->rx)
		pbuf_free(c->rx);
	c->rx = NULL;
}

/* ---- replies ---- */

/* request_start is what every request begins with, once the clock is
 * at its now: the timers due by then, in deadline order, and the states
 * they changed. request_end is what every request ends with, before the
 * reply: the application's callbacks, and the states they changed. A
 * PACKETS request and an ADVANCE that runs ahead put one request's end
 * and the next one's start between the steps they take, so that each step
 * is what a request of its own would have been. */
static void request_start(void)
{
	sys_check_timeouts();
	poll_states();
}

static void request_end(void)
{
	run_callbacks();
	poll_states();
}

static void reply_head(uint8_t req, uint8_t status)
{
	request_end();
	uint64_t next = NEVER;
	u32_t sleep = sys_timeouts_sleeptime();
	if (sleep != SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		next = ((uint64_t)sys_now() + sleep) * NS_PER_MS;
	out_begin((uint8_t)(REPLY | req));
	out_u8(status);
	out_u64(next);
}

static void reply_error(uint8_t req, uint8_t status, uint16_t option, const char *msg)
{
	reply_head(req, status);
	out_u16(option);
	out_string(msg);
	out_end();
}

static void reply_ok(uint8_t req)
{
	reply_head(req, ST_OK);
	out_end();
}

static void reply_tuple(uint8_t req, uint32_t h, u16_t lport, const ip_addr_t *rip, u16_t rport)
{
	reply_head(req, ST_OK);
	out_u32(h);
	out_u16(lport);
	out_addr(rip);
	out_u16(rport);
	out_end();
}

/* conn_arg reads a handle and checks it names a connection (or, with
 * listener set, a listener); otherwise it replies EBADF. */
static struct conn *conn_arg(struct in_frame *f, uint8_t req, int listener)
{
	uint32_t h = in_u32(f);
	if (h == 0 || h >= nconns || conns[h].listener != listener) {
		reply_error(req, ST_EBADF, 0, "no such handle");
		return NULL;
	}
	return &conns[h];
}

/* ---- requests ---- */

/* A value Debian's build fixes (name, the value it has). */
static int fixed(uint16_t opt, uint64_t asked, uint64_t has, const char *why)
{
	if (asked == has)
		return 0;
	reply_error(REQ_HELLO, ST_UNSUPPORTED, opt, why);
	return 1;
}

/* own_ipv6_address gives the netif the run's address, ready at once
 * (section 4, HELLO): lwIP's own IPv6 traffic stays off the wire. */
static void own_ipv6_address(uint16_t mtu)
{
	/* netif_add copied mtu (still 0) to mtu6, from which the MSS over
	 * IPv6 follows (tcp_eff_send_mss_netif, nd6_get_destination_mtu). */
	nif.mtu6 = mtu;
	/* Preferred at once, never tentative: no Duplicate Address Detection
	 * (nd6_tmr sends a Neighbor Solicitation for a tentative address).
	 * Without NETIF_FLAG_MLD6 (link_init) no solicited-node group is
	 * joined, so mld6_report_groups has nothing to report. */
	netif_ip6_addr_set(&nif, 0, ip_2_ip6(&own_addr));
	netif_ip6_addr_set_state(&nif, 0, IP6_ADDR_PREFERRED);
	/* No Router Solicitation: netif_add's nd6_restart_netif set rs_count
	 * to LWIP_ND6_MAX_MULTICAST_SOLICIT (Debian's lwipopts.h turns
	 * LWIP_IPV6_SEND_ROUTER_SOLICIT on), and nd6_tmr sends one per
	 * count once address 0 is valid. */
	nif.rs_count = 0;
	/* No SLAAC either (LWIP_IPV6_AUTOCONFIG is on; netif_add leaves it
	 * disabled, and so it stays: a Router Advertisement configures nothing). */
	nif.ip6_autoconfig_enabled = 0;
}

static void hello(struct in_frame *f)
{
	char magic[4];
	for (int i = 0; i < 4; i++)
		magic[i] = (char)in_u8(f);
	uint16_t version = in_u16(f);
	if (memcmp(magic, "TCPB", 4) != 0) {
		fprintf(stderr, "tcpbed-lwip: a malformed HELLO\n");
		exit(2);
	}
	if (version != 1 && version != 2) {
		/* Read no further: the reply names the newest version spoken,
		 * and tcpbed stops the stack (section 4, HELLO). */
		fprintf(stderr, "tcpbed-lwip: HELLO asks for protocol version %u; this adapter speaks 1 and 2\n", version);
		reply_head(REQ_HELLO, ST_OK);
		out_bytes("TCPB", 4);
		out_u16(2);
		out_u32(CAP_STATES | CAP_ADVANCE_UNTIL | CAP_BURSTS);
		out_string("lwip");
		out_end();
		f->p = f->end;
		return;
	}
	ipv6 = version == 2;
	in_u8(f); /* side: either end may do anything */
	in_u8(f); /* flags: FROZEN_CLOCK changes nothing, lwIP reads one millisecond count per instant */
	in_addr(f, &own_addr);
	uint16_t mtu = in_u16(f);
	uint64_t seed = in_u64(f);
	uint16_t count = in_u16(f);
	struct { uint16_t opt; uint64_t v; } opts[64];
	for (int i = 0; i < count && i < 64; i++) {
		opts[i].opt = in_u16(f);
		opts[i].v = in_u64(f);
	}
	if (!in_done(f) || count > 64) {
		fprintf(stderr, "tcpbed-lwip: a malformed HELLO\n");
		exit(2);
	}

	for (int i = 0; i < count; i++) {
		uint64_t v = opts[i].v;
		switch (opts[i].opt) {
		case OPT_SACK: /* LWIP_TCP_SACK_OUT is 0: lwIP never offers SACK */
			if (fixed(OPT_SACK, v, 0, "lwIP is built without SACK (LWIP_TCP_SACK_OUT 0)"))
				return;
			break;
		case OPT_NAGLE:
			nagle = v != 0;
			break;
		case OPT_MAX_RTO:
			reply_error(REQ_HELLO, ST_UNSUPPORTED, OPT_MAX_RTO, "lwIP has no RTO cap to set (tcp_slowtmr caps the backed-off RTO at 0x7FFF ticks)");
			return;
		case OPT_SYN_RETRIES:
			if (fixed(OPT_SYN_RETRIES, v, TCP_SYNMAXRTX, "SYN retransmissions are fixed at TCP_SYNMAXRTX (6) in Debian's build"))
				return;
			break;
		case OPT_DATA_RETRIES:
			if (fixed(OPT_DATA_RETRIES, v, TCP_MAXRTX, "data retransmissions are fixed at TCP_MAXRTX (12) in Debian's build"))
				return;
			break;
		case OPT_MSL:
			if (fixed(OPT_MSL, v, (uint64_t)TCP_MSL * NS_PER_MS, "the MSL is fixed at TCP_MSL (60 s) in Debian's build: TIME-WAIT lasts 120 s"))
				return;
			break;
		case OPT_CONGESTION:
			if (fixed(OPT_CONGESTION, v, 1, "lwIP's congestion control is its own Reno with fast recovery (tcp_receive); it has no CUBIC"))
				return;
			break;
		case OPT_WINDOW_SCALE:
			if (fixed(OPT_WINDOW_SCALE, v, 1, "window scaling is on in Debian's build (LWIP_WND_SCALE 1) and cannot be turned off"))
				return;
			break;
		case OPT_TIMESTAMPS: /* LWIP_TCP_TIMESTAMPS is 0 */
			if (fixed(OPT_TIMESTAMPS, v, 0, "lwIP is built without timestamps (LWIP_TCP_TIMESTAMPS 0)"))
				return;
			break;
		case OPT_RECV_BUFFER:
			if (fixed(OPT_RECV_BUFFER, v, TCP_WND, "the receive window is fixed at TCP_WND (65535) in Debian's build"))
				return;
			break;
		case OPT_SEND_BUFFER:
			if (v == 0 || v > TCP_SND_BUF) {
				reply_error(REQ_HELLO, ST_UNSUPPORTED, OPT_SEND_BUFFER, "the send buffer is at most TCP_SND_BUF (65535) in Debian's build");
				return;
			}
			send_limit = (uint32_t)v;
			break;
		default:
			reply_error(REQ_HELLO, ST_UNSUPPORTED, opts[i].opt, "not an option this adapter knows");
			return;
		}
	}

	srand((unsigned)seed); /* LWIP_RAND is rand(): lwIP's first ephemeral port */
	lwip_init();
	ip4_addr_t mask, gw;
	ip4_addr_set_zero(&mask); /* point to point: every destination is on the link */
	ip4_addr_set_zero(&gw);
	if (ipv6) {
		ip4_addr_t none;
		ip4_addr_set_zero(&none);
		netif_add(&nif, &none, &mask, &gw, NULL, link_init, ip6_input);
	} else {
		netif_add(&nif, ip_2_ip4(&own_addr), &mask, &gw, NULL, link_init, ip4_input);
	}
	nif.mtu = mtu;
	netif_set_default(&nif);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	if (ipv6)
		own_ipv6_address(mtu);

	reply_head(REQ_HELLO, ST_OK);
	out_bytes("TCPB", 4);
	out_u16(version);
	out_u32(CAP_STATES | CAP_ADVANCE_UNTIL | CAP_BURSTS);
	out_string("lwip");
	out_end();
}

/* input hands lwIP one packet from the wire. */
static void input(const uint8_t *b, size_t n)
{
	struct pbuf *p = n <= 0xFFFF ? pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM) : NULL;
	if (!p)
		return;
	pbuf_take(p, b, (u16_t)n);
	/* it frees p, whatever becomes of the packet */
	if (ipv6)
		ip6_input(p, &nif);
	else
		ip4_input(p, &nif);
}

static void packet(struct in_frame *f)
{
	size_t n;
	const uint8_t *b = in_rest(f, &n);
	input(b, n);
	reply_ok(REQ_PACKET);
}

/* packets answers PACKETS (the BURSTS capability): each packet as a
 * PACKET of its own at this now would be taken, one after the other. The
 * request's end (callbacks run, states polled) comes between two, then
 * TAKING, then the next one's start (the timers due by now, states
 * polled). A body that does not hold together is read no further. */
static void packets(struct in_frame *f)
{
	uint16_t count = in_u16(f);
	const uint8_t *start = f->p;
	for (uint16_t i = 0; i < count && !f->bad; i++) {
		uint32_t n = in_u32(f);
		if (n < 1 || n > (size_t)(f->end - f->p))
			f->bad = 1;
		else
			f->p += n;
	}
	if (count < 1 || count > MAX_BURST || f->bad || f->p != f->end) {
		f->bad = 1;
		return;
	}
	f->p = start;
	for (uint16_t i = 0; i < count; i++) {
		uint32_t n = in_u32(f);
		if (i > 0) {
			request_end();
			out_begin(TAKING);
			out_end();
			request_start();
		}
		input(f->p, n);
		f->p += n;
	}
	reply_ok(REQ_PACKETS);
}

/* advance answers ADVANCE, whose timers due by now have run. With until
 * (the ADVANCE_UNTIL capability, section 6) it runs lwIP's timers on, one
 * deadline at a time, each as an ADVANCE at that deadline would run it,
 * until the first instant at which lwIP did something anyone could see
 * (observed grew since the request began, before), or until its next
 * timer falls after until, and replies with the instant it stopped at.
 * Without until (a tcpbed that ignores the capability) it is the ADVANCE
 * of before. An idle connection's 250 ms ticks then cost tcpbed one
 * request an hour of quiet, not 14,400. */
static void advance(struct in_frame *f, unsigned long before)
{
	if (in_done(f)) {
		reply_ok(REQ_ADVANCE);
		return;
	}
	uint64_t until = in_u64(f);
	while (observed == before) {
		u32_t sleep = sys_timeouts_sleeptime();
		if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
			break;
		uint64_t next = ((uint64_t)sys_now() + sleep) * NS_PER_MS;
		if (next > until)
			break;
		now_ns = next;
		request_start();
		request_end();
	}
	reply_head(REQ_ADVANCE, ST_OK);
	out_u64(now_ns);
	out_end();
}

static void listen_req(struct in_frame *f)
{
	uint16_t port = in_u16(f);
	uint32_t backlog = in_u32(f); /* kept by on_accept: Debian's build has TCP_LISTEN_BACKLOG 0 */
	struct tcp_pcb *pcb = new_pcb();
	if (!pcb) {
		reply_error(REQ_LISTEN, ST_ENOBUFS, 0, "tcp_new");
		return;
	}
	ip_set_option(pcb, SOF_REUSEADDR); /* as servers listen: a port in TIME-WAIT can listen again */
	if (tcp_bind(pcb, any_addr(), port) != ERR_OK) {
		tcp_abort(pcb);
		reply_error(REQ_LISTEN, ST_EADDRINUSE, 0, "tcp_bind");
		return;
	}
	struct tcp_pcb *l = tcp_listen(pcb);
	if (!l) {
		tcp_abort(pcb);
		reply_error(REQ_LISTEN, ST_ENOBUFS, 0, "tcp_listen");
		return;
	}
	uint32_t h = new_conn(l, 1);
	conns[h].backlog = backlog ? backlog : 1; /* listen(2) takes 0 as a queue of one */
	tcp_arg(l, (void *)(uintptr_t)h);
	tcp_accept(l, on_accept);
	conns[h].track = track_of(l);
	reply_head(REQ_LISTEN, ST_OK);
	out_u32(h);
	out_u16(l->local_port);
	out_end();
}

static void dial(struct in_frame *f)
{
	uint16_t lport = in_u16(f);
	ip_addr_t remote;
	in_addr(f, &remote);
	uint16_t rport = in_u16(f);
	struct tcp_pcb *pcb = new_pcb();
	if (!pcb) {
		reply_error(REQ_DIAL, ST_ENOBUFS, 0, "tcp_new");
		return;
	}
	if (lport != 0 && tcp_bind(pcb, any_addr(), lport) != ERR_OK) {
		tcp_abort(pcb);
		reply_error(REQ_DIAL, ST_EADDRINUSE, 0, "tcp_bind: the port is in use (in TIME-WAIT too)");
		return;
	}
	uint32_t h = new_conn(pcb, 0);
	watch(pcb, h);
	tcp_sent(pcb, NULL);
	err_t err = tcp_connect(pcb, &remote, rport, on_connected);
	if (err != ERR_OK) {
		conns[h].app_gone = 1;
		conns[h].pcb = NULL;
		tcp_abort(pcb);
		reply_error(REQ_DIAL, err == ERR_USE ? ST_EADDRINUSE : ST_OTHER, 0, lwip_strerr(err));
		return;
	}
	struct conn *c = &conns[h];
	c->local_port = pcb->local_port;
	c->remote_port = rport;
	ip_addr_copy(c->remote_ip, remote);
	c->track = track_of(pcb);
	reply_tuple(REQ_DIAL, h, c->local_port, &c->remote_ip, c->remote_port);
}

static void accept_req(struct in_frame *f)
{
	struct conn *l = conn_arg(f, REQ_ACCEPT, 1);
	if (!l)
		return;
	if (l->qlen == 0) {
		reply_error(REQ_ACCEPT, ST_WOULD_BLOCK, 0, "");
		return;
	}
	uint32_t h = l->queue[0];
	memmove(l->queue, l->queue + 1, (size_t)--l->qlen * sizeof *l->queue);
	struct conn *c = &conns[h];
	reply_tuple(REQ_ACCEPT, h, c->local_port, &c->remote_ip, c->remote_port);
}

static void write_req(struct in_frame *f)
{
	struct conn *c = conn_arg(f, REQ_WRITE, 0);
	if (!c)
		return;
	size_t n;
	const uint8_t *data = in_rest(f, &n);
	if (c->wr_shut) {
		reply_error(REQ_WRITE, ST_EPIPE, 0, "the write side is shut");
		return;
	}
	if (!c->pcb) {
		reply_error(REQ_WRITE, c->err ? c->err : ST_ENOTCONN, 0, "");
		return;
	}
	size_t room = tcp_sndbuf(c->pcb);
	if (send_limit) {
		size_t queued = TCP_SND_BUF - tcp_sndbuf(c->pcb);
		room = queued >= send_limit ? 0 : LWIP_MIN(room, send_limit - queued);
	}
	if (n > room)
		n = room;
	err_t err = n ? tcp_write(c->pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY) : ERR_MEM;
	if (err == ERR_MEM) {
		reply_error(REQ_WRITE, ST_WOULD_BLOCK, 0, "");
		return;
	}
	if (err != ERR_OK) {
		reply_error(REQ_WRITE, ST_ENOTCONN, 0, lwip_strerr(err));
		return;
	}
	tcp_output(c->pcb);
	reply_head(REQ_WRITE, ST_OK);
	out_u32((uint32_t)n);
	out_end();
}

static void read_req(struct in_frame *f)
{
	struct conn *c = conn_arg(f, REQ_READ, 0);
	if (!c)
		return;
	uint32_t max = in_u32(f);
	if (c->rx) {
		u16_t n = (u16_t)LWIP_MIN(LWIP_MIN(max, c->rx->tot_len), 0xFFFF);
		static uint8_t buf[65536];
		pbuf_copy_partial(c->rx, buf, n, 0);
		c->rx = pbuf_free_header(c->rx, n);
		if (c->pcb)
			tcp_recved(c->pcb, n); /* the application took n bytes: the window opens by them */
		reply_head(REQ_READ, ST_OK);
		out_bytes(buf, n);
		out_end();
		return;
	}
	if (c->err)
		reply_error(REQ_READ, c->err, 0, "");
	else if (c->eof)
		reply_error(REQ_READ, ST_EOF, 0, "");
	else if (!c->pcb)
		reply_error(REQ_READ, ST_ENOTCONN, 0, "");
	else
		reply_error(REQ_READ, ST_WOULD_BLOCK, 0, "");
}

static void shutdown_req(struct in_frame *f)
{
	struct conn *c = conn_arg(f, REQ_SHUTDOWN, 0);
	if (!c)
		return;
	if (!c->pcb) {
		reply_error(REQ_SHUTDOWN, c->err ? c->err : ST_ENOTCONN, 0, "");
		return;
	}
	c->wr_shut = 1;
	err_t err = tcp_shutdown(c->pcb, 0, 1);
	if (err != ERR_OK)
		reply_error(REQ_SHUTDOWN, ST_ENOTCONN, 0, lwip_strerr(err));
	else
		reply_ok(REQ_SHUTDOWN);
}

static void close_req(struct in_frame *f)
{
	uint32_t h = in_u32(f);
	if (h == 0 || h >= nconns || conns[h].app_gone) {
		reply_error(REQ_CLOSE, ST_EBADF, 0, "no such handle, or closed");
		return;
	}
	struct conn *c = &conns[h];
	c->app_gone = 1;
	c->wr_shut = 1;
	if (c->listener) {
		/* connections nobody accepted go with the listener, as a socket's do */
		for (int i = 0; i < c->qlen; i++) {
			struct conn *q = &conns[c->queue[i]];
			q->app_gone = 1;
			drop_rx(q);
			if (q->pcb)
				tcp_abort(q->pcb);
			q->pcb = NULL;
		}
		c->qlen = 0;
	}
	if (c->pcb) {
		/* tcp_close sends a RST, not a FIN, if received data is left
		 * unread (tcp_close_shutdown): the window the adapter has not
		 * opened again says so. */
		if (tcp_close(c->pcb) != ERR_OK)
			tcp_abort(c->pcb);
	}
	c->pcb = NULL;
	drop_rx(c);
	reply_ok(REQ_CLOSE);
}

static void abort_req(struct in_frame *f)
{
	uint32_t h = in_u32(f);
	if (h == 0 || h >= nconns || conns[h].app_gone || conns[h].listener) {
		reply_error(REQ_ABORT, ST_EBADF, 0, "no such connection, or closed");
		return;
	}
	struct conn *c = &conns[h];
	c->app_gone = 1;
	if (c->pcb)
		tcp_abort(c->pcb); /* a RST; on_err then finds app_gone */
	c->pcb = NULL;
	drop_rx(c);
	reply_ok(REQ_ABORT);
}

static void state_req(struct in_frame *f)
{
	uint32_t h = in_u32(f);
	if (h == 0 || h >= nconns) {
		reply_error(REQ_STATE, ST_EBADF, 0, "no such handle");
		return;
	}
	int t = conns[h].track;
	reply_head(REQ_STATE, ST_OK); /* it polls the states first */
	out_u8(t >= 0 ? tracks[t].state : CLOSED);
	out_end();
}

static void setopt(struct in_frame *f)
{
	struct conn *c = conn_arg(f, REQ_SETOPT, 0);
	if (!c)
		return;
	uint16_t count = in_u16(f);
	for (int i = 0; i < count; i++) {
		uint16_t opt = in_u16(f);
		uint64_t v = in_u64(f);
		if (f->bad)
			break;
		if (!c->pcb) {
			reply_error(REQ_SETOPT, ST_EINVAL, opt, "the connection is gone");
			return;
		}
		switch (opt) {
		case OPT_KEEPALIVE:
			if (v)
				ip_set_option(c->pcb, SOF_KEEPALIVE);
			else
				ip_reset_option(c->pcb, SOF_KEEPALIVE);
			break;
		case OPT_KEEPIDLE:
			c->pcb->keep_idle = (u32_t)(v / NS_PER_MS);
			break;
		case OPT_KEEPINTVL:
			c->pcb->keep_intvl = (u32_t)(v / NS_PER_MS);
			break;
		case OPT_KEEPCNT:
			c->pcb->keep_cnt = (u32_t)v;
			break;
		case OPT_NODELAY:
			if (v)
				tcp_nagle_disable(c->pcb);
			else
				tcp_nagle_enable(c->pcb);
			break;
		default:
			reply_error(REQ_SETOPT, ST_UNSUPPORTED, opt, "lwIP's raw API has no such socket option");
			return;
		}
	}
	reply_ok(REQ_SETOPT);
}

int main(void)
{
	struct in_frame f;
	int started = 0;
	if (frames_to_private_stdout() < 0) {
		perror("tcpbed-lwip: dup");
		return 1;
	}
	for (;;) {
		int r = read_frame(&f);
		if (r == 0)
			return 0;
		if (r < 0)
			return 2;
		if (f.type < REQ_HELLO || f.type > REQ_PACKETS) {
			fprintf(stderr, "tcpbed-lwip: a frame of type 0x%02x, which is no request\n", f.type);
			return 2;
		}
		now_ns = in_u64(&f);
		if (f.type == REQ_HELLO) {
			hello(&f);
			started = 1;
		} else if (!started) {
			fprintf(stderr, "tcpbed-lwip: a request before REQ_HELLO\n");
			return 2;
		} else {
			unsigned long before = observed;
			request_start();
			switch (f.type) {
			case REQ_SETOPT: setopt(&f); break;
			case REQ_PACKET: packet(&f); break;
			case REQ_PACKETS: packets(&f); break;
			case REQ_ADVANCE: advance(&f, before); break;
			case REQ_LISTEN: listen_req(&f); break;
			case REQ_DIAL: dial(&f); break;
			case REQ_ACCEPT: accept_req(&f); break;
			case REQ_WRITE: write_req(&f); break;
			case REQ_READ: read_req(&f); break;
			case REQ_SHUTDOWN: shutdown_req(&f); break;
			case REQ_CLOSE: close_req(&f); break;
			case REQ_ABORT: abort_req(&f); break;
			case REQ_STATE: state_req(&f); break;
			case REQ_COUNTERS: reply_error(REQ_COUNTERS, ST_UNSUPPORTED, 0, "Debian's build keeps no statistics (LWIP_STATS 0)"); break;
			}
		}
		if (f.bad || (f.type != REQ_PACKET && f.type != REQ_WRITE && !in_done(&f))) {
			/* a body too short or too long for its type (PACKET and
			 * WRITE end in "the rest of the body") */
			fprintf(stderr, "tcpbed-lwip: a request of type 0x%02x whose body does not fit its type\n", f.type);
			return 2;
		}
		if (out_flush() < 0)
			return 1;
	}
}
