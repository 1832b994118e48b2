/* Loopback TCP connections with known traffic (tcp_pair.h). */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcp_pair.h"

#define TP_TCP_CLOSE 7 /* include/net/tcp_states.h */

int tp_listen(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(*port)};
	socklen_t sl = sizeof(sa);
	int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 64) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &sl) < 0) {
		close(l);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return l;
}

int tp_connect(int l, uint16_t port, int *c, int *a)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*a = -1;
	*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*c < 0)
		return -1;
	if (connect(*c, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (*a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		close(*c);
		return -1;
	}
	return 0;
}

static int nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

int tp_transfer(int from, int to, uint64_t n)
{
	static char buf[1 << 16];
	uint64_t out = 0, in = 0;
	int rc = -1;

	if (nonblock(from, true) < 0 || nonblock(to, true) < 0)
		return -1;
	while (in < n) {
		struct pollfd p[2] = {{.fd = from, .events = out < n ? POLLOUT : 0},
				      {.fd = to, .events = POLLIN}};
		ssize_t k;

		if (poll(p, 2, 5000) <= 0)
			goto out;
		if (p[0].revents & POLLOUT) {
			size_t want = n - out < sizeof(buf) ? (size_t)(n - out) : sizeof(buf);

			k = write(from, buf, want);
			if (k < 0 && errno != EAGAIN)
				goto out;
			if (k > 0)
				out += (uint64_t)k;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			k = read(to, buf, sizeof(buf));
			if (k == 0 || (k < 0 && errno != EAGAIN))
				goto out;
			if (k > 0)
				in += (uint64_t)k;
		}
	}
	rc = 0;
out:
	if (nonblock(from, false) < 0 || nonblock(to, false) < 0)
		rc = -1;
	return rc;
}

static int info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

static void nap_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int tp_wait_acked(int fd, uint64_t want)
{
	struct tcp_info ti;

	for (int i = 0; i < 5000; i++) {
		if (info(fd, &ti) < 0)
			return -1;
		if (ti.tcpi_bytes_acked >= want)
			return 0;
		nap_ms(1);
	}
	return -1;
}

static int drain_eof(int fd)
{
	char buf[4096];
	ssize_t k;

	while ((k = read(fd, buf, sizeof(buf))) > 0)
		;
	return k == 0 ? 0 : -1;
}

/* Waits for CLOSE and adds the socket's totals. */
static int final_info(int fd, struct tp_traffic *t)
{
	struct tcp_info ti;

	for (int i = 0; i < 10000; i++) {
		if (info(fd, &ti) < 0)
			return -1;
		if (ti.tcpi_state == TP_TCP_CLOSE) {
			t->sent += ti.tcpi_bytes_acked;
			t->rcvd += ti.tcpi_bytes_received;
			t->segs_out += ti.tcpi_segs_out;
			t->segs_in += ti.tcpi_segs_in;
			return 0;
		}
		nap_ms(1);
	}
	errno = ETIMEDOUT;
	return -1;
}

int tp_finish(int c, int a, struct tp_traffic *ct, struct tp_traffic *at)
{
	int rc = -1;

	/* the client's FIN first: it ends in TIME_WAIT, its full socket in
	 * CLOSE once it acked the server's FIN; the server's at that ACK */
	if (shutdown(c, SHUT_WR) == 0 && drain_eof(a) == 0 && shutdown(a, SHUT_WR) == 0 &&
	    drain_eof(c) == 0 && final_info(c, ct) == 0 && final_info(a, at) == 0)
		rc = 0;
	close(c);
	close(a);
	return rc;
}
