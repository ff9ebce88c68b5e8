/*
 * lwIP behind a pipe: a synfin-exec/1 adapter for lwIP's raw TCP API.
 *
 * Reads one JSON request per line on stdin, writes one JSON reply per line
 * on stdout (nothing else goes to stdout; diagnostics go to stderr). The
 * protocol is described in the book, docs/src/conformance/exec.md.
 *
 * lwIP plays one host (A or B) of a trace; the harness plays the other by
 * writing IPv4 packets into lwIP's input and reading what lwIP's netif
 * outputs. One lwIP stack per process: its state is global.
 *
 * Clock: virtual. Debian's liblwip (2.1.3) is built with NO_SYS=0, but
 * nothing here starts the tcpip thread: lwip_init() alone initialises the
 * core, and this single thread drives it. Calls from inside liblwip.so to
 * sys_now(), the core-locking checks and sys_arch_protect() go through the
 * PLT, so the definitions below take their place (the executable's symbols
 * come first in the lookup): lwIP's time is `now_ms`, moved only by the
 * harness's ticks and timeouts, and sys_check_timeouts() runs its timers.
 *
 * ISS: settable. tcp_next_iss() is called through the PLT too (from
 * tcp_connect and from a listener's SYN handling), so it is defined here
 * and returns the ISS the harness set. It is also the one call lwIP makes
 * between creating a passive connection's pcb and sending its SYN,ACK,
 * which is where that pcb's receive window is set to the trace's.
 *
 * Build: scripts/build-lwip-adapter.sh (gcc, liblwip-dev, libcjson-dev).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lwip/init.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#define PROTOCOL "synfin-exec/1"
/* The longest the harness's clock is moved to find a timer's deadline. */
#define HORIZON_MS (1000u * 1000u)
#define MAX_SEGS 64
#define MAX_EVENTS 16

/* ---- lwIP's system layer, interposed: one thread, a virtual clock ---- */

static u32_t now_ms;

u32_t sys_now(void) { return now_ms; }
void sys_check_core_locking(void) {}
void sys_mark_tcpip_thread(void) {}
void sys_lock_tcpip_core(void) {}
void sys_unlock_tcpip_core(void) {}
sys_prot_t sys_arch_protect(void) { return 0; }
void sys_arch_unprotect(sys_prot_t pval) { (void)pval; }

/* ---- the host lwIP plays ---- */

struct seg {
  unsigned flags; /* 1 SYN, 2 ACK, 4 FIN, 8 RST */
  u32_t seq, ack;
  unsigned len;
};

static struct netif nif;
static ip4_addr_t my_ip, peer_ip;
static ip_addr_t my_addr, peer_addr;
static u16_t my_port, peer_port;
static unsigned replay_no;

static char me;          /* 'A' or 'B' */
static u32_t next_iss;   /* what tcp_next_iss returns */
static u32_t conn_iss;   /* the connection's ISS */
static u32_t irs;        /* the peer's ISS, from its SYN */
static int have_irs;
static u16_t window;     /* the trace's receive window */
static u32_t tick_ms, msl_ms;

static struct tcp_pcb_listen *listener;
static int close_listener; /* set on accept, done after the input */
static int app_conn;       /* the application has a connection (connect, accept) */
static int aborting;       /* our own ABORT: ERR_ABRT means closed */
static int quiet;          /* crashed: drops every arrival until its timeout */
static u32_t quiet_until;
static unsigned delivered;
static int eof;

static struct seg emitted[MAX_SEGS];
static int n_emitted;
static const char *events[MAX_EVENTS];
static char event_text[MAX_EVENTS][64];
static int n_events;

static void event(const char *name) {
  if (n_events < MAX_EVENTS) {
    snprintf(event_text[n_events], sizeof event_text[0], "%s", name);
    events[n_events] = event_text[n_events];
    n_events++;
  }
}

u32_t tcp_next_iss(struct tcp_pcb *pcb) {
  /* Called for a new connection before its SYN or SYN,ACK is queued. */
  if (pcb) {
    pcb->rcv_wnd = window;
    pcb->rcv_ann_wnd = window;
  }
  conn_iss = next_iss;
  /* tcp_connect takes the value as SND.NXT after its SYN (the SYN goes
   * out with it minus one); a listener's SYN handling takes it as the
   * ISS itself. */
  return pcb && pcb->state == SYN_RCVD ? next_iss : next_iss + 1;
}

/* The connection's pcb: the one on the replay's 4-tuple, if any. */
static struct tcp_pcb *conn_pcb(void) {
  struct tcp_pcb *lists[2] = {tcp_active_pcbs, tcp_tw_pcbs};
  for (int i = 0; i < 2; i++)
    for (struct tcp_pcb *p = lists[i]; p; p = p->next)
      if (p->local_port == my_port && p->remote_port == peer_port) return p;
  return NULL;
}

static const char *state_name(enum tcp_state s) {
  switch (s) {
  case CLOSED: return "CLOSED";
  case LISTEN: return "LISTEN";
  case SYN_SENT: return "SYN-SENT";
  case SYN_RCVD: return "SYN-RECEIVED";
  case ESTABLISHED: return "ESTABLISHED";
  case FIN_WAIT_1: return "FIN-WAIT-1";
  case FIN_WAIT_2: return "FIN-WAIT-2";
  case CLOSE_WAIT: return "CLOSE-WAIT";
  case CLOSING: return "CLOSING";
  case LAST_ACK: return "LAST-ACK";
  case TIME_WAIT: return "TIME-WAIT";
  }
  return "CLOSED";
}

/* The host's state: its connection's, else LISTEN, else CLOSED. */
static enum tcp_state host_state(void) {
  struct tcp_pcb *p = conn_pcb();
  if (p) return p->state;
  return listener ? LISTEN : CLOSED;
}

/* A connection the application knew has gone without a callback (TIME-WAIT
 * over, CLOSE in SYN-SENT, LAST-ACK acknowledged with the receive side
 * still open reports ERR_CLSD instead): it closed. */
static void settle(void) {
  if (close_listener && listener) {
    tcp_close((struct tcp_pcb *)listener);
    listener = NULL;
  }
  close_listener = 0;
  if (app_conn && !conn_pcb()) {
    app_conn = 0;
    event("closed");
  }
}

/* ---- callbacks ---- */

static enum tcp_state last_state = CLOSED;

static void on_err(void *arg, err_t err) {
  (void)arg;
  if (!app_conn) return;
  app_conn = 0;
  if (aborting) event("closed");
  else if (err == ERR_RST) event(last_state == SYN_SENT || last_state == SYN_RCVD ? "refused" : "reset");
  else if (err == ERR_CLSD) event("closed");
  else if (err == ERR_ABRT) event("timed-out");
  else {
    char b[64];
    snprintf(b, sizeof b, "error:%d", (int)err);
    event(b);
  }
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  (void)arg;
  (void)err;
  if (!p) {
    if (!eof) event("peer-closed");
    eof = 1;
    return ERR_OK;
  }
  delivered += p->tot_len;
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

static void watch(struct tcp_pcb *pcb) {
  tcp_arg(pcb, NULL);
  tcp_err(pcb, on_err);
  tcp_recv(pcb, on_recv);
  tcp_nagle_disable(pcb);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  (void)pcb;
  (void)err;
  event("connected");
  return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || !pcb) return ERR_VAL;
  watch(pcb);
  app_conn = 1;
  delivered = 0;
  eof = 0;
  event("connected");
  /* The model's host is one TCB: once accepted, LISTEN is gone. */
  close_listener = 1;
  return ERR_OK;
}

/* A passive connection not yet accepted (SYN-RECEIVED): the socket API
 * has no handle on it, but the raw API reaches its pcb. The application
 * takes it as its connection, and LISTEN is gone (the model's host is one
 * TCB). */
static void adopt(struct tcp_pcb *p) {
  watch(p);
  app_conn = 1;
  if (listener) {
    tcp_close((struct tcp_pcb *)listener);
    listener = NULL;
  }
}

/* ---- the wire ---- */

static int sock_mode;
static void sock_output(struct pbuf *p);

static err_t nif_output(struct netif *n, struct pbuf *p, const ip4_addr_t *dst) {
  (void)n;
  (void)dst;
  if (sock_mode) {
    sock_output(p);
    return ERR_OK;
  }
  u8_t buf[1600];
  u16_t len = pbuf_copy_partial(p, buf, sizeof buf, 0);
  if (len < 20 || (buf[0] >> 4) != 4 || buf[9] != IP_PROTO_TCP) return ERR_OK;
  unsigned ihl = (buf[0] & 0xf) * 4;
  unsigned total = (buf[2] << 8) | buf[3];
  if (len < ihl + 20 || total > len) return ERR_OK;
  u8_t *t = buf + ihl;
  unsigned doff = (t[12] >> 4) * 4;
  unsigned fl = t[13];
  struct seg s;
  s.flags = ((fl & TCP_SYN) ? 1 : 0) | ((fl & TCP_ACK) ? 2 : 0) | ((fl & TCP_FIN) ? 4 : 0) |
            ((fl & TCP_RST) ? 8 : 0);
  s.seq = ((u32_t)t[4] << 24) | ((u32_t)t[5] << 16) | ((u32_t)t[6] << 8) | t[7];
  s.ack = (fl & TCP_ACK) ? (((u32_t)t[8] << 24) | ((u32_t)t[9] << 16) | ((u32_t)t[10] << 8) | t[11]) : 0;
  s.len = total - ihl - doff;
  if (n_emitted < MAX_SEGS) emitted[n_emitted++] = s;
  return ERR_OK;
}

static err_t nif_init(struct netif *n) {
  n->output = nif_output;
  n->mtu = 1500;
  n->name[0] = 's';
  n->name[1] = 'f';
  return ERR_OK;
}

static void put16(u8_t *b, unsigned v) { b[0] = v >> 8; b[1] = v; }
static void put32(u8_t *b, u32_t v) { b[0] = v >> 24; b[1] = v >> 16; b[2] = v >> 8; b[3] = v; }

/* The harness's segment as an IPv4 packet from the peer, into lwIP. */
static void arrive(const struct seg *s) {
  if (quiet) return; /* RFC 9293 §3.4.3 quiet time after the crash */
  unsigned tot = 20 + 20 + s->len;
  u8_t b[20 + 20 + 255];
  memset(b, 0, sizeof b);
  b[0] = 0x45;
  put16(b + 2, tot);
  put16(b + 4, replay_no & 0xffff);
  b[8] = 64;
  b[9] = IP_PROTO_TCP;
  memcpy(b + 12, &peer_ip.addr, 4);
  memcpy(b + 16, &my_ip.addr, 4);
  put16(b + 10, 0);
  u16_t ipsum = inet_chksum(b, 20);
  memcpy(b + 10, &ipsum, 2);
  u8_t *t = b + 20;
  put16(t, peer_port);
  put16(t + 2, my_port);
  put32(t + 4, s->seq);
  put32(t + 8, s->ack);
  t[12] = 5 << 4;
  t[13] = ((s->flags & 1) ? TCP_SYN : 0) | ((s->flags & 2) ? TCP_ACK : 0) |
          ((s->flags & 4) ? TCP_FIN : 0) | ((s->flags & 8) ? TCP_RST : 0);
  put16(t + 14, window);
  memset(t + 20, 'x', s->len);
  struct pbuf *p = pbuf_alloc(PBUF_RAW, tot, PBUF_RAM);
  if (!p) return;
  pbuf_take(p, b, tot);
  /* The TCP checksum over the pseudo-header, computed by lwIP itself. */
  struct pbuf *tp = pbuf_alloc(PBUF_RAW, 20 + s->len, PBUF_RAM);
  if (!tp) {
    pbuf_free(p);
    return;
  }
  pbuf_take(tp, t, 20 + s->len);
  ip_addr_t src, dst;
  ip_addr_copy_from_ip4(src, peer_ip);
  ip_addr_copy_from_ip4(dst, my_ip);
  u16_t sum = ip_chksum_pseudo(tp, IP_PROTO_TCP, 20 + s->len, &src, &dst);
  pbuf_free(tp);
  memcpy(t + 16, &sum, 2);
  pbuf_take(p, b, tot);
  enum tcp_state before = host_state();
  ip4_input(p, &nif);
  /* The IRS is the SYN's number, if the SYN opened the connection. */
  enum tcp_state after = host_state();
  if ((s->flags & 1) && (before == LISTEN || before == SYN_SENT) && after != before &&
      after != CLOSED && after != LISTEN) {
    irs = s->seq;
    have_irs = 1;
  }
}

/* ---- time ---- */

/* Runs lwIP's timers up to `target`, each at its own due time. */
static void advance_to(u32_t target) {
  for (;;) {
    u32_t sleep = sys_timeouts_sleeptime();
    if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE || (u32_t)(target - now_ms) < sleep) {
      now_ms = target;
      sys_check_timeouts();
      return;
    }
    now_ms += sleep;
    sys_check_timeouts();
  }
}

/* Runs lwIP's timers, each at its due time, until the host does something
 * the harness can see (sends, changes state, tells its application) or
 * `horizon` ms pass. Returns the ms it took, or -1. */
static long run_until_visible(u32_t horizon) {
  u32_t start = now_ms;
  int e0 = n_emitted, v0 = n_events;
  enum tcp_state s0 = host_state();
  int app0 = app_conn;
  while ((u32_t)(now_ms - start) < horizon) {
    u32_t sleep = sys_timeouts_sleeptime();
    if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE) return -1;
    now_ms += sleep;
    sys_check_timeouts();
    settle();
    if (n_emitted != e0 || n_events != v0 || host_state() != s0 || app_conn != app0)
      return (long)(u32_t)(now_ms - start);
  }
  return -1;
}

/* How long until the host's next timer does something: found by running a
 * copy of the process forward (fork), which leaves this one untouched. */
static long probe_timer(void) {
  if (quiet) return (long)(u32_t)(quiet_until - now_ms);
  if (!tcp_active_pcbs && !tcp_tw_pcbs) return -1;
  int fds[2];
  if (pipe(fds) != 0) return -2;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -2;
  }
  if (pid == 0) {
    close(fds[0]);
    long r = run_until_visible(HORIZON_MS);
    ssize_t w = write(fds[1], &r, sizeof r);
    (void)w;
    _exit(0);
  }
  close(fds[1]);
  long r = -2;
  ssize_t n = read(fds[0], &r, sizeof r);
  close(fds[0]);
  waitpid(pid, NULL, 0);
  return n == (ssize_t)sizeof r ? r : -2;
}

/* ---- resetting between replays ---- */

static void drop_all(void) {
  struct tcp_pcb **lists[3] = {&tcp_active_pcbs, &tcp_tw_pcbs, &tcp_bound_pcbs};
  for (int i = 0; i < 3; i++)
    while (*lists[i]) {
      struct tcp_pcb *p = *lists[i];
      tcp_err(p, NULL);
      tcp_recv(p, NULL);
      tcp_abandon(p, 0);
    }
  while (tcp_listen_pcbs.listen_pcbs) tcp_close((struct tcp_pcb *)tcp_listen_pcbs.listen_pcbs);
  listener = NULL;
}

/* ---- requests ---- */

static cJSON *ok(void) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddTrueToObject(r, "ok");
  return r;
}

static cJSON *unsupported(const char *why) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "unsupported", why);
  return r;
}

static cJSON *error(const char *why) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "error", why);
  return r;
}

static int num(cJSON *o, const char *k, double *out) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(v)) return 0;
  *out = v->valuedouble;
  return 1;
}

static const char *str(cJSON *o, const char *k) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *hello(cJSON *req) {
  const char *p = str(req, "protocol");
  if (!p || strcmp(p, PROTOCOL) != 0) return error("this adapter speaks " PROTOCOL);
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "hello", PROTOCOL);
  cJSON_AddStringToObject(r, "name", "lwip");
  cJSON_AddStringToObject(r, "version", LWIP_VERSION_STRING " (raw API, virtual clock)");
  cJSON *c = cJSON_AddObjectToObject(r, "capabilities");
  cJSON_AddFalseToObject(c, "plays_both");
  cJSON_AddStringToObject(c, "iss", "settable");
  cJSON_AddTrueToObject(c, "observes_tcb");
  cJSON_AddStringToObject(c, "clock", "virtual");
  /* The sockets extension (packetdrill scripts): sock_* requests. */
  cJSON_AddTrueToObject(r, "sockets");
  return r;
}

static cJSON *start(cJSON *req) {
  cJSON *cfg = cJSON_GetObjectItemCaseSensitive(req, "config");
  const char *role = str(req, "role");
  double tick, msl, wnd;
  if (!cJSON_IsObject(cfg) || !role || !num(cfg, "tick_seconds", &tick) || !num(cfg, "msl", &msl) ||
      !num(cfg, "window", &wnd))
    return error("start needs config.tick_seconds, config.msl, config.window and role");
  if (strcmp(role, "A") != 0 && strcmp(role, "B") != 0)
    return unsupported("one lwIP stack per process: it plays one host, not both");
  drop_all();
  sock_mode = 0;
  /* Let lwIP's TCP timer run down with no pcbs, so that it starts afresh
   * (250 ms after the replay's first pcb), and put its slow timer on a
   * known phase: every replay then runs the same whatever came before. */
  advance_to(now_ms + 1000);
  u32_t t0 = tcp_ticks;
  tcp_tmr();
  if (tcp_ticks == t0) tcp_tmr();
  me = role[0];
  replay_no++;
  IP4_ADDR(&my_ip, 10, 0, 0, me == 'A' ? 1 : 2);
  IP4_ADDR(&peer_ip, 10, 0, 0, me == 'A' ? 2 : 1);
  u16_t a_port = 1024 + (replay_no % 50000);
  my_port = me == 'A' ? a_port : 80;
  peer_port = me == 'A' ? 80 : a_port;
  netif_set_ipaddr(&nif, &my_ip);
  ip_addr_copy_from_ip4(my_addr, my_ip);
  ip_addr_copy_from_ip4(peer_addr, peer_ip);
  tick_ms = (u32_t)tick * 1000;
  msl_ms = (u32_t)msl * tick_ms;
  window = (u16_t)wnd;
  next_iss = conn_iss = irs = 0;
  have_irs = 0;
  close_listener = app_conn = aborting = quiet = 0;
  delivered = 0;
  eof = 0;
  n_emitted = n_events = 0;
  return ok();
}

static const char *err_name(err_t e) {
  switch (e) {
  case ERR_MEM: return "ERR_MEM";
  case ERR_BUF: return "ERR_BUF";
  case ERR_RTE: return "ERR_RTE";
  case ERR_INPROGRESS: return "ERR_INPROGRESS";
  case ERR_VAL: return "ERR_VAL";
  case ERR_USE: return "ERR_USE";
  case ERR_ISCONN: return "ERR_ISCONN";
  case ERR_CONN: return "ERR_CONN";
  case ERR_ABRT: return "ERR_ABRT";
  case ERR_RST: return "ERR_RST";
  case ERR_CLSD: return "ERR_CLSD";
  case ERR_ARG: return "ERR_ARG";
  default: return "ERR";
  }
}

static void call_failed(const char *call, err_t e) {
  char b[64];
  snprintf(b, sizeof b, "error:%s:%s", call, err_name(e));
  event(b);
}

static cJSON *call(const char *c) {
  struct tcp_pcb *p = conn_pcb();
  err_t e = ERR_OK;
  if (!strcmp(c, "listen")) {
    delivered = 0;
    eof = 0;
    struct tcp_pcb *n = tcp_new();
    if (!n) return error("tcp_new failed");
    e = tcp_bind(n, &my_addr, my_port);
    if (e == ERR_OK) {
      struct tcp_pcb *l = tcp_listen(n);
      if (!l) {
        tcp_close(n);
        e = ERR_MEM;
      } else {
        listener = (struct tcp_pcb_listen *)l;
        tcp_accept(l, on_accept);
      }
    } else {
      tcp_close(n);
    }
    if (e != ERR_OK) call_failed(c, e);
  } else if (!strcmp(c, "connect")) {
    delivered = 0;
    eof = 0;
    struct tcp_pcb *n = tcp_new();
    if (!n) return error("tcp_new failed");
    watch(n);
    n->rcv_wnd = n->rcv_ann_wnd = window;
    e = tcp_bind(n, &my_addr, my_port);
    if (e == ERR_OK) e = tcp_connect(n, &peer_addr, peer_port, on_connected);
    if (e == ERR_OK) app_conn = 1;
    else {
      tcp_abort(n);
      call_failed(c, e);
    }
  } else if (!strcmp(c, "send")) {
    if (!p) call_failed(c, ERR_CONN);
    else {
      e = tcp_write(p, "x", 1, TCP_WRITE_FLAG_COPY);
      if (e == ERR_OK) e = tcp_output(p);
      if (e != ERR_OK) call_failed(c, e);
    }
  } else if (!strcmp(c, "close")) {
    if (!p && listener) {
      tcp_close((struct tcp_pcb *)listener);
      listener = NULL;
      event("closed");
    } else if (!p) {
      call_failed(c, ERR_CONN);
    } else if (p->state == SYN_SENT) {
      /* RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB. */
      e = tcp_close(p);
      if (e != ERR_OK) call_failed(c, e);
    } else {
      /* CLOSE is "no more to send": the receive side stays open. */
      if (!app_conn) adopt(p);
      e = tcp_shutdown(p, 0, 1);
      if (e != ERR_OK) call_failed(c, e);
    }
  } else if (!strcmp(c, "abort")) {
    if (listener && !p) {
      tcp_close((struct tcp_pcb *)listener);
      listener = NULL;
      event("closed");
    } else if (p) {
      if (!app_conn) adopt(p);
      aborting = 1;
      last_state = p->state;
      tcp_abort(p);
      aborting = 0;
      if (listener) {
        tcp_close((struct tcp_pcb *)listener);
        listener = NULL;
      }
    } else {
      call_failed(c, ERR_CONN);
    }
  } else {
    return error("unknown call");
  }
  return ok();
}

static int parse_flags(const char *s, unsigned *out) {
  *out = 0;
  if (!*s) return 1;
  char buf[32];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    if (!strcmp(tok, "SYN")) *out |= 1;
    else if (!strcmp(tok, "ACK")) *out |= 2;
    else if (!strcmp(tok, "FIN")) *out |= 4;
    else if (!strcmp(tok, "RST")) *out |= 8;
    else return 0;
  }
  return 1;
}

static cJSON *input(cJSON *req) {
  cJSON *st = cJSON_GetObjectItemCaseSensitive(req, "stimulus");
  const char *kind = st ? str(st, "kind") : NULL;
  const char *host = st ? str(st, "host") : NULL;
  if (!kind) return error("input needs stimulus.kind");
  if (strcmp(kind, "tick") != 0 && (!host || host[0] != me))
    return error("an input for a host this adapter does not play");
  struct tcp_pcb *p = conn_pcb();
  last_state = p ? p->state : CLOSED;
  cJSON *r = NULL;
  if (!strcmp(kind, "call")) {
    const char *c = str(st, "call");
    if (!c) return error("a call needs `call`");
    r = call(c);
  } else if (!strcmp(kind, "arrive")) {
    cJSON *sg = cJSON_GetObjectItemCaseSensitive(st, "segment");
    double seq, ack, len;
    const char *fl = sg ? str(sg, "flags") : NULL;
    struct seg s;
    if (!fl || !num(sg, "seq", &seq) || !num(sg, "ack", &ack) || !num(sg, "len", &len) ||
        !parse_flags(fl, &s.flags) || len < 0 || len > 255)
      return error("a segment needs flags, seq, ack and len");
    s.seq = (u32_t)seq;
    s.ack = (u32_t)ack;
    s.len = (unsigned)len;
    arrive(&s);
    r = ok();
  } else if (!strcmp(kind, "tick")) {
    advance_to(now_ms + tick_ms);
    r = ok();
  } else if (!strcmp(kind, "timeout")) {
    if (quiet) {
      quiet = 0;
      r = ok();
    } else if (run_until_visible(HORIZON_MS) < 0) {
      r = unsupported("no lwIP timer of this host does anything within 1000 s");
    } else {
      r = ok();
    }
  } else if (!strcmp(kind, "crash")) {
    /* The TCB is lost without a word (tcp_abandon with no RST), and the
     * host keeps quiet for MSL: the harness's emulation of a reboot. */
    if (p) {
      tcp_err(p, NULL);
      tcp_abandon(p, 0);
    }
    if (listener) {
      tcp_close((struct tcp_pcb *)listener);
      listener = NULL;
    }
    app_conn = 0;
    delivered = 0;
    eof = 0;
    quiet = 1;
    quiet_until = now_ms + msl_ms;
    r = ok();
  } else {
    return error("unknown stimulus kind");
  }
  /* RFC 9293 §3.8.6.3 lets an ACK wait up to 0.5 s; lwIP's fast timer
   * (250 ms) sends its delayed ACKs. The model's step is a whole tick, so
   * the fast timer runs once here and such an ACK shows in the step it
   * answers. */
  tcp_fasttmr();
  settle();
  return r;
}

static cJSON *observe(cJSON *req) {
  const char *host = str(req, "host");
  if (!host || host[0] != me) return error("observe of a host this adapter does not play");
  settle();
  enum tcp_state s = host_state();
  int open = s != CLOSED && s != LISTEN;
  long timer = probe_timer();
  if (timer == -2) return error("could not fork to probe lwIP's timers");
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "state", state_name(s));
  if (open) cJSON_AddNumberToObject(r, "iss", conn_iss);
  else cJSON_AddNullToObject(r, "iss");
  if (timer >= 0) cJSON_AddNumberToObject(r, "timer_ms", timer);
  else cJSON_AddNullToObject(r, "timer_ms");
  cJSON *em = cJSON_AddArrayToObject(r, "emitted");
  for (int i = 0; i < n_emitted; i++) {
    char fl[32] = "";
    const char *names[4] = {"SYN", "ACK", "FIN", "RST"};
    for (int b = 0; b < 4; b++)
      if (emitted[i].flags & (1u << b)) {
        if (fl[0]) strcat(fl, ",");
        strcat(fl, names[b]);
      }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "flags", fl);
    cJSON_AddNumberToObject(o, "seq", emitted[i].seq);
    cJSON_AddNumberToObject(o, "ack", emitted[i].ack);
    cJSON_AddNumberToObject(o, "len", emitted[i].len);
    cJSON_AddItemToArray(em, o);
  }
  n_emitted = 0;
  cJSON_AddNumberToObject(r, "delivered", open ? (delivered > 255 ? 255 : delivered) : 0);
  cJSON_AddBoolToObject(r, "eof", open && eof);
  /* The TCB's sequence variables, relative to the ISS and the IRS, as
   * the trace format has them per state. */
  struct tcp_pcb *p = conn_pcb();
  if (p && open) {
    cJSON *t = cJSON_AddObjectToObject(r, "tcb");
    if (s != TIME_WAIT) cJSON_AddNumberToObject(t, "snd_una", (s32_t)(p->lastack - conn_iss));
    cJSON_AddNumberToObject(t, "snd_nxt", (s32_t)(p->snd_nxt - conn_iss));
    if (s != SYN_SENT && have_irs) cJSON_AddNumberToObject(t, "rcv_nxt", (s32_t)(p->rcv_nxt - irs));
    if (s != TIME_WAIT) cJSON_AddNumberToObject(t, "retries", p->nrtx);
  }
  cJSON *ev = cJSON_AddArrayToObject(r, "events");
  for (int i = 0; i < n_events; i++) cJSON_AddItemToArray(ev, cJSON_CreateString(events[i]));
  n_events = 0;
  return r;
}

/* ==== The sockets extension: packetdrill scripts (`pkt run --target exec:CMD`) ====
 *
 * A socket layer over the raw API, one request per BSD call, and the wire
 * as whole IPv4 packets (hex). The stack's address and the peer's come
 * with `sock_start`; time is the script's, in microseconds from 0, and
 * lwIP's millisecond clock follows it. Every reply carries what lwIP sent
 * since the last reply (`sent`, each packet with its time). The book's
 * chapter *Any TCP over a pipe* describes the requests. */

#define MAX_SOCKS 64
#define MAX_SENT 256
#define MAX_ACCEPT 16

/* Linux's errno numbers, for SO_ERROR. */
#define E_AGAIN 11
#define E_PIPE 32
#define E_CONNRESET 104
#define E_CONNREFUSED 111
#define E_TIMEDOUT 110

struct sk {
  int used;
  struct tcp_pcb *pcb;  /* the connection's, while lwIP has it */
  struct tcp_pcb *lpcb; /* a listener's */
  int bound;
  u16_t port;
  int reuse, linger_set, linger_on, linger_secs;
  long rcvbuf;
  int shut_wr, connect_pending, ever_connected, aborting;
  int err; /* pending errno, 0 for none */
  int eof;
  struct pbuf *rx; /* received, not yet read */
  int acc[MAX_ACCEPT];
  int n_acc;
  enum tcp_state last; /* before the input being handled */
};

static struct sk sks[MAX_SOCKS];
static struct {
  u8_t bytes[1600];
  u16_t len;
  unsigned long long at_us;
} sent_pkts[MAX_SENT];
static int n_sent;
static unsigned long long sock_us;
static u32_t base_ms;
static u16_t listen_wnd = TCP_WND;
static const u8_t zeros[TCP_SND_BUF];

static void sock_clock(void) { now_ms = base_ms + (u32_t)(sock_us / 1000); }

static int sk_new(void) {
  for (int i = 1; i < MAX_SOCKS; i++)
    if (!sks[i].used) {
      memset(&sks[i], 0, sizeof sks[i]);
      sks[i].used = 1;
      sks[i].rcvbuf = -1;
      return i;
    }
  return -1;
}

static struct sk *sk_get(cJSON *req, int *id) {
  double v;
  if (!num(req, "sock", &v)) return NULL;
  int i = (int)v;
  if (i <= 0 || i >= MAX_SOCKS || !sks[i].used) return NULL;
  if (id) *id = i;
  return &sks[i];
}

static cJSON *ret(long v) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "ret", v);
  return r;
}

static cJSON *err_reply(const char *name) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "errno", name);
  return r;
}

static const char *errno_name(int e) {
  switch (e) {
  case E_CONNRESET: return "ECONNRESET";
  case E_CONNREFUSED: return "ECONNREFUSED";
  case E_TIMEDOUT: return "ETIMEDOUT";
  case E_PIPE: return "EPIPE";
  default: return "EIO";
  }
}

static void add_addr(cJSON *r, const char *key, u16_t port) {
  char b[32];
  snprintf(b, sizeof b, "%u.%u.%u.%u:%u", ip4_addr1(&my_ip), ip4_addr2(&my_ip), ip4_addr3(&my_ip),
           ip4_addr4(&my_ip), port);
  cJSON_AddStringToObject(r, key, b);
}

static err_t sk_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  (void)err;
  int id = (int)(intptr_t)arg;
  if (id <= 0 || !sks[id].used) {
    /* A socket the application has closed: nobody reads. */
    if (p) {
      tcp_recved(pcb, p->tot_len);
      pbuf_free(p);
    }
    return ERR_OK;
  }
  struct sk *k = &sks[id];
  if (!p) {
    k->eof = 1;
    return ERR_OK;
  }
  if (k->rx) pbuf_cat(k->rx, p);
  else k->rx = p;
  return ERR_OK;
}

static void sk_err(void *arg, err_t err) {
  int id = (int)(intptr_t)arg;
  if (id <= 0 || !sks[id].used) return;
  struct sk *k = &sks[id];
  k->pcb = NULL; /* lwIP has freed it */
  if (k->aborting) return;
  if (err == ERR_RST) k->err = k->last == SYN_SENT ? E_CONNREFUSED : E_CONNRESET;
  else if (err == ERR_ABRT) k->err = E_TIMEDOUT;
}

static void sk_watch(struct tcp_pcb *pcb, int id) {
  tcp_arg(pcb, (void *)(intptr_t)id);
  tcp_err(pcb, sk_err);
  tcp_recv(pcb, sk_recv);
  tcp_nagle_disable(pcb);
}

static err_t sk_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)pcb;
  (void)err;
  int id = (int)(intptr_t)arg;
  if (id > 0 && sks[id].used) sks[id].ever_connected = 1;
  return ERR_OK;
}

static err_t sk_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  int lid = (int)(intptr_t)arg;
  if (err != ERR_OK || !pcb || lid <= 0 || !sks[lid].used) return ERR_VAL;
  struct sk *l = &sks[lid];
  int id = l->n_acc < MAX_ACCEPT ? sk_new() : -1;
  if (id < 0) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  sks[id].pcb = pcb;
  sks[id].bound = 1;
  sks[id].port = pcb->local_port;
  sks[id].ever_connected = 1;
  sk_watch(pcb, id);
  l->acc[l->n_acc++] = id;
  return ERR_OK;
}

/* Before an input: each connection's state, for the error an RST means. */
static void sk_snapshot(void) {
  for (int i = 1; i < MAX_SOCKS; i++)
    if (sks[i].used && sks[i].pcb) sks[i].last = sks[i].pcb->state;
}

/* After an input or a call: lwIP's delayed ACKs go out now (its fast timer
 * runs once without moving the clock), as a TCP that acknowledges at once
 * would send them. */
static void sk_after(void) { tcp_fasttmr(); }

static int from_hex(const char *h, u8_t *out, int max) {
  int n = 0;
  while (h[0] && h[1] && n < max) {
    unsigned v;
    if (sscanf(h, "%2x", &v) != 1) return -1;
    out[n++] = (u8_t)v;
    h += 2;
  }
  return h[0] ? -1 : n;
}

static void add_sent(cJSON *r) {
  cJSON *a = cJSON_AddArrayToObject(r, "sent");
  for (int i = 0; i < n_sent; i++) {
    char hex[3201];
    for (int j = 0; j < sent_pkts[i].len; j++) sprintf(hex + 2 * j, "%02x", sent_pkts[i].bytes[j]);
    hex[2 * sent_pkts[i].len] = 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "at_us", (double)sent_pkts[i].at_us);
    cJSON_AddStringToObject(o, "packet", hex);
    cJSON_AddItemToArray(a, o);
  }
  n_sent = 0;
}

static void sock_output(struct pbuf *p) {
  if (n_sent >= MAX_SENT) return;
  sent_pkts[n_sent].len = pbuf_copy_partial(p, sent_pkts[n_sent].bytes, 1600, 0);
  sent_pkts[n_sent].at_us = sock_us;
  n_sent++;
}

static int parse_addr(const char *s, ip4_addr_t *ip, u16_t *port) {
  unsigned a, b, c, d, p;
  if (!s || sscanf(s, "%u.%u.%u.%u:%u", &a, &b, &c, &d, &p) != 5) return 0;
  IP4_ADDR(ip, a, b, c, d);
  if (port) *port = (u16_t)p;
  return 1;
}

static cJSON *sock_start(cJSON *req) {
  ip4_addr_t l, r;
  if (!parse_addr(str(req, "local"), &l, NULL) || !parse_addr(str(req, "remote"), &r, NULL))
    return error("sock_start needs local and remote as `a.b.c.d:0`");
  drop_all();
  for (int i = 1; i < MAX_SOCKS; i++) {
    if (sks[i].rx) pbuf_free(sks[i].rx);
    sks[i].used = 0;
    sks[i].rx = NULL;
  }
  advance_to(now_ms + 1000);
  sock_mode = 1;
  my_ip = l;
  peer_ip = r;
  netif_set_ipaddr(&nif, &my_ip);
  ip_addr_copy_from_ip4(my_addr, my_ip);
  ip_addr_copy_from_ip4(peer_addr, peer_ip);
  base_ms = now_ms;
  sock_us = 0;
  n_sent = 0;
  next_iss = 0x10000000;
  window = listen_wnd = TCP_WND;
  return ok();
}

static cJSON *sock_inject(cJSON *req) {
  const char *h = str(req, "packet");
  static u8_t b[1600];
  int n = h ? from_hex(h, b, sizeof b) : -1;
  if (n < 20) return error("sock_inject needs `packet`, an IPv4 packet in hex");
  struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
  if (!p) return error("pbuf_alloc failed");
  pbuf_take(p, b, (u16_t)n);
  sk_snapshot();
  ip4_input(p, &nif);
  sk_after();
  return ok();
}

/* Time passes to `until_us`, lwIP's timers firing each at its due time; with
 * `stop_at_send`, it stops at the first timer that sends something. */
static cJSON *sock_time(cJSON *req) {
  double until;
  if (!num(req, "until_us", &until)) return error("sock_time needs until_us");
  cJSON *stop = cJSON_GetObjectItemCaseSensitive(req, "stop_at_send");
  int stop_at_send = cJSON_IsTrue(stop);
  unsigned long long target = (unsigned long long)until;
  int n0 = n_sent;
  for (;;) {
    sock_clock();
    u32_t sleep = sys_timeouts_sleeptime();
    unsigned long long next =
        sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE
            ? ~0ull
            : ((unsigned long long)(u32_t)(now_ms - base_ms) + sleep) * 1000ull;
    sk_snapshot();
    if (next > target) {
      if (target > sock_us) sock_us = target;
      sock_clock();
      sys_check_timeouts();
      break;
    }
    if (next > sock_us) sock_us = next;
    sock_clock();
    sys_check_timeouts();
    if (stop_at_send && n_sent > n0) break;
  }
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "now_us", (double)sock_us);
  return r;
}

static cJSON *sock_call(cJSON *req) {
  const char *c = str(req, "call");
  if (!c) return error("sock_call needs `call`");
  int id = 0;
  struct sk *k = NULL;
  if (!strcmp(c, "socket")) {
    int i = sk_new();
    if (i < 0) return err_reply("EMFILE");
    return ret(i);
  }
  k = sk_get(req, &id);
  if (!k) return err_reply("EBADF");
  if (!strcmp(c, "setsockopt") || !strcmp(c, "getsockopt")) {
    const char *opt = str(req, "opt");
    int set = c[0] == 's';
    double v = 0, secs = 0;
    num(req, "value", &v);
    num(req, "secs", &secs);
    if (!opt) return error("a socket option needs `opt`");
    cJSON *r = ret(0);
    if (!strcmp(opt, "SO_REUSEADDR")) {
      if (set) k->reuse = v != 0;
      else cJSON_AddNumberToObject(r, "value", k->reuse);
    } else if (!strcmp(opt, "SO_LINGER")) {
      if (set) {
        if (v != 0 && secs > 0) {
          cJSON_Delete(r);
          return unsupported("SO_LINGER with a timeout: lwIP's raw API has no lingering close");
        }
        k->linger_set = 1;
        k->linger_on = v != 0;
        k->linger_secs = (int)secs;
      } else {
        cJSON_AddNumberToObject(r, "value", k->linger_on);
        cJSON_AddNumberToObject(r, "secs", k->linger_secs);
      }
    } else if (!strcmp(opt, "SO_RCVBUF")) {
      if (set) {
        if (k->pcb || k->lpcb) {
          cJSON_Delete(r);
          return unsupported("SO_RCVBUF after listen or connect: the adapter sets a pcb's window when it is made");
        }
        k->rcvbuf = (long)v;
      } else {
        cJSON_AddNumberToObject(r, "value", k->rcvbuf < 0 ? TCP_WND : k->rcvbuf);
      }
    } else if (!strcmp(opt, "SO_ERROR")) {
      if (set) {
        cJSON_Delete(r);
        return err_reply("EINVAL");
      }
      cJSON_AddNumberToObject(r, "value", k->err);
      k->err = 0;
    } else {
      cJSON_Delete(r);
      return unsupported("a socket option this adapter does not map");
    }
    return r;
  }
  if (!strcmp(c, "bind")) {
    double port;
    if (!num(req, "port", &port)) return error("bind needs `port`");
    if (k->bound || k->pcb || k->lpcb) return err_reply("EINVAL");
    for (int i = 1; i < MAX_SOCKS; i++)
      if (i != id && sks[i].used && sks[i].bound && sks[i].port == (u16_t)port && !sks[i].reuse)
        return err_reply("EADDRINUSE");
    k->bound = 1;
    k->port = (u16_t)port;
    return ret(0);
  }
  if (!strcmp(c, "listen")) {
    double backlog = 1;
    num(req, "backlog", &backlog);
    if (k->lpcb) return ret(0);
    if (k->pcb) return err_reply("EINVAL");
    if (!k->bound) return unsupported("listen without bind (no port is chosen for it)");
    struct tcp_pcb *n = tcp_new();
    if (!n) return error("tcp_new failed");
    if (k->reuse) ip_set_option(n, SOF_REUSEADDR);
    err_t e = tcp_bind(n, &my_addr, k->port);
    if (e != ERR_OK) {
      tcp_close(n);
      return err_reply("EADDRINUSE");
    }
    struct tcp_pcb *l = tcp_listen_with_backlog(n, (u8_t)(backlog < 1 ? 1 : backlog > 255 ? 255 : backlog));
    if (!l) {
      tcp_close(n);
      return error("tcp_listen failed");
    }
    k->lpcb = l;
    listen_wnd = k->rcvbuf < 0 ? TCP_WND : (u16_t)(k->rcvbuf > TCP_WND ? TCP_WND : k->rcvbuf);
    window = listen_wnd;
    tcp_arg(l, (void *)(intptr_t)id);
    tcp_accept(l, sk_accept);
    return ret(0);
  }
  if (!strcmp(c, "accept")) {
    if (!k->lpcb) return err_reply("EINVAL");
    if (k->n_acc == 0) return err_reply("EAGAIN");
    int a = k->acc[0];
    memmove(k->acc, k->acc + 1, sizeof k->acc[0] * (size_t)(k->n_acc - 1));
    k->n_acc--;
    cJSON *r = ret(a);
    add_addr(r, "local", sks[a].port);
    return r;
  }
  if (!strcmp(c, "connect")) {
    ip4_addr_t ip;
    u16_t port;
    if (!parse_addr(str(req, "remote"), &ip, &port)) return error("connect needs `remote`");
    if (k->lpcb) return err_reply("EISCONN");
    if (k->pcb || k->ever_connected || k->err) {
      if (k->err) {
        const char *n = errno_name(k->err);
        k->err = 0;
        return err_reply(n);
      }
      if (k->pcb && (k->pcb->state == SYN_SENT || k->pcb->state == SYN_RCVD)) return err_reply("EALREADY");
      if (k->connect_pending) {
        k->connect_pending = 0;
        return ret(0);
      }
      return err_reply("EISCONN");
    }
    struct tcp_pcb *n = tcp_new();
    if (!n) return error("tcp_new failed");
    sk_watch(n, id);
    u16_t w = k->rcvbuf < 0 ? TCP_WND : (u16_t)(k->rcvbuf > TCP_WND ? TCP_WND : k->rcvbuf);
    n->rcv_wnd = n->rcv_ann_wnd = w;
    window = w;
    if (k->reuse) ip_set_option(n, SOF_REUSEADDR);
    err_t e = tcp_bind(n, &my_addr, k->bound ? k->port : 0);
    ip_addr_t dst;
    ip_addr_copy_from_ip4(dst, ip);
    if (e == ERR_OK) e = tcp_connect(n, &dst, port, sk_connected);
    if (e != ERR_OK) {
      tcp_abort(n);
      return err_reply(e == ERR_USE ? "EADDRINUSE" : "EINVAL");
    }
    k->pcb = n;
    k->bound = 1;
    k->port = n->local_port;
    k->connect_pending = 1;
    k->ever_connected = 1;
    sk_after();
    cJSON *r = err_reply("EINPROGRESS");
    add_addr(r, "local", k->port);
    return r;
  }
  if (!strcmp(c, "write")) {
    double len;
    if (!num(req, "len", &len)) return error("write needs `len`");
    if (k->lpcb || !k->ever_connected) return err_reply("ENOTCONN");
    if (k->shut_wr) return err_reply("EPIPE");
    if (k->err) {
      const char *n = errno_name(k->err);
      k->err = 0;
      return err_reply(n);
    }
    if (!k->pcb) return err_reply("EPIPE");
    u16_t room = tcp_sndbuf(k->pcb);
    u16_t n = (u16_t)(len < room ? len : room);
    if (len > 0 && n == 0) return err_reply("EAGAIN");
    err_t e = n ? tcp_write(k->pcb, zeros, n, TCP_WRITE_FLAG_COPY) : ERR_OK;
    if (e == ERR_MEM) return err_reply("EAGAIN");
    if (e != ERR_OK) return err_reply("EPIPE");
    tcp_output(k->pcb);
    sk_after();
    return ret(n);
  }
  if (!strcmp(c, "read")) {
    double len;
    if (!num(req, "len", &len)) return error("read needs `len`");
    if (k->lpcb || !k->ever_connected) return err_reply("ENOTCONN");
    if (k->rx && len > 0) {
      u16_t n = (u16_t)(len < k->rx->tot_len ? len : k->rx->tot_len);
      struct pbuf *rest = pbuf_free_header(k->rx, n);
      k->rx = rest;
      if (k->pcb) tcp_recved(k->pcb, n);
      sk_after();
      return ret(n);
    }
    if (k->err) {
      const char *n = errno_name(k->err);
      k->err = 0;
      return err_reply(n);
    }
    if (k->eof || !k->pcb) return ret(0);
    return err_reply("EAGAIN");
  }
  if (!strcmp(c, "shutdown")) {
    const char *how = str(req, "how");
    if (!how || strcmp(how, "SHUT_WR") != 0)
      return unsupported("shutdown(SHUT_RD) and SHUT_RDWR: the adapter maps SHUT_WR only");
    if (!k->pcb) return err_reply("ENOTCONN");
    if (!k->shut_wr) {
      err_t e = tcp_shutdown(k->pcb, 0, 1);
      k->shut_wr = 1;
      if (e != ERR_OK) return err_reply("ENOTCONN");
    }
    sk_after();
    return ret(0);
  }
  if (!strcmp(c, "close")) {
    if (k->lpcb) {
      /* Connections nobody accepted are reset, as Linux does. */
      for (int i = 0; i < k->n_acc; i++) {
        struct sk *a = &sks[k->acc[i]];
        if (a->pcb) {
          a->aborting = 1;
          tcp_abort(a->pcb);
        }
        if (a->rx) pbuf_free(a->rx);
        a->used = 0;
      }
      tcp_close(k->lpcb);
    } else if (k->pcb) {
      struct tcp_pcb *p = k->pcb;
      if (k->linger_set && k->linger_on && k->linger_secs == 0) {
        k->aborting = 1;
        tcp_abort(p);
      } else {
        tcp_arg(p, NULL);
        tcp_err(p, NULL);
        tcp_recv(p, sk_recv);
        /* Unread data: lwIP's close then resets, as Linux's does. */
        if (tcp_close(p) != ERR_OK) tcp_abort(p);
      }
    }
    if (k->rx) pbuf_free(k->rx);
    k->rx = NULL;
    k->used = 0;
    sk_after();
    return ret(0);
  }
  return unsupported("a call this adapter does not map");
}

static cJSON *sock_sysctl(cJSON *req) {
  const char *n = str(req, "name");
  const char *v = str(req, "value");
  if (!n || !v) return error("sock_sysctl needs name and value");
  static const char *off_is_what_it_does[] = {
      "net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack", "net.ipv4.tcp_ecn",
      "net.ipv4.tcp_fastopen", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_autocorking",
      "net.ipv4.tcp_early_retrans", NULL};
  for (int i = 0; off_is_what_it_does[i]; i++)
    if (!strcmp(n, off_is_what_it_does[i]) && !strcmp(v, "0")) return ok();
  if (!strcmp(n, "net.ipv4.tcp_no_metrics_save") && !strcmp(v, "1")) return ok();
  /* lwIP ignores an RST in TIME-WAIT (tcp_timewait_input): RFC 1337. */
  if (!strcmp(n, "net.ipv4.tcp_rfc1337") && !strcmp(v, "1")) return ok();
  char b[200];
  snprintf(b, sizeof b, "%s=%s: lwIP fixes this when it is built (lwipopts.h), not at run time", n, v);
  return unsupported(b);
}

static cJSON *sock_state(cJSON *req) {
  ip4_addr_t lip, rip;
  u16_t lport, rport;
  if (!parse_addr(str(req, "local"), &lip, &lport) || !parse_addr(str(req, "remote"), &rip, &rport))
    return error("sock_state needs local and remote");
  const char *st = "CLOSED";
  struct tcp_pcb *lists[2] = {tcp_active_pcbs, tcp_tw_pcbs};
  for (int i = 0; i < 2; i++)
    for (struct tcp_pcb *p = lists[i]; p; p = p->next)
      if (p->local_port == lport && p->remote_port == rport &&
          ip4_addr_cmp(ip_2_ip4(&p->remote_ip), &rip))
        st = state_name(p->state);
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "state", st);
  return r;
}

static cJSON *sock_listening(cJSON *req) {
  ip4_addr_t lip;
  u16_t lport;
  if (!parse_addr(str(req, "local"), &lip, &lport)) return error("sock_listening needs local");
  int yes = 0;
  for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
    if (l->local_port == lport) yes = 1;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddBoolToObject(r, "listening", yes);
  return r;
}

/* A sockets request: its reply, with what lwIP sent meanwhile. */
static cJSON *sock_request(const char *op, cJSON *req) {
  cJSON *r;
  if (!strcmp(op, "sock_start")) r = sock_start(req);
  else if (!sock_mode) return error("a sockets request before sock_start");
  else if (!strcmp(op, "sock_call")) r = sock_call(req);
  else if (!strcmp(op, "sock_inject")) r = sock_inject(req);
  else if (!strcmp(op, "sock_time")) r = sock_time(req);
  else if (!strcmp(op, "sock_sysctl")) r = sock_sysctl(req);
  else if (!strcmp(op, "sock_state")) r = sock_state(req);
  else if (!strcmp(op, "sock_listening")) r = sock_listening(req);
  else return error("unknown op");
  if (!cJSON_GetObjectItemCaseSensitive(r, "error")) add_sent(r);
  return r;
}

int main(void) {
  lwip_init();
  ip4_addr_t mask, gw;
  IP4_ADDR(&my_ip, 10, 0, 0, 2);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 0, 0, 0, 0);
  if (!netif_add(&nif, &my_ip, &mask, &gw, NULL, nif_init, ip4_input)) {
    fprintf(stderr, "lwip-adapter: netif_add failed\n");
    return 1;
  }
  netif_set_default(&nif);
  netif_set_link_up(&nif);
  netif_set_up(&nif);

  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    cJSON *req = cJSON_Parse(line);
    cJSON *reply;
    const char *op = req ? str(req, "op") : NULL;
    if (!op) reply = error("not a request: a JSON object with `op` on one line");
    else if (!strcmp(op, "hello")) reply = hello(req);
    else if (!strcmp(op, "start")) reply = start(req);
    else if (!strcmp(op, "set_next_iss")) {
      double iss;
      if (!num(req, "iss", &iss)) reply = error("set_next_iss needs iss");
      else {
        next_iss = (u32_t)iss;
        reply = ok();
      }
    } else if (!strcmp(op, "input")) reply = input(req);
    else if (!strcmp(op, "observe")) reply = observe(req);
    else if (!strncmp(op, "sock_", 5)) reply = sock_request(op, req);
    else reply = error("unknown op");
    char *out = cJSON_PrintUnformatted(reply);
    fputs(out, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(out);
    cJSON_Delete(reply);
    cJSON_Delete(req);
  }
  free(line);
  return 0;
}
