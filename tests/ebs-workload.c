/* Command-line front of the known workloads, for the shell integration
 * tests (collectd, SNMP, demo):
 *   ebs-workload getppid N [COMM] | errors N [COMM] | tcp M | refused |
 *                pingpong K | forks F | tcphold BYTES GOFILE [PORT] |
 *                spin MS THREADS | pages MIB REPS
 * tcp prints the listener port it used.  tcphold (tests of live TCP
 * bytes): BYTES over one loopback connection to a listener on PORT (else
 * one the kernel picks), then the port on a line once
 * the sender has them acknowledged; the connection stays open until GOFILE
 * exists, then both ends close and the TCP_INFO totals of each end follow,
 * "client|server BYTES_ACKED BYTES_RECEIVED SEGS_OUT SEGS_IN".  spin stops
 * itself (SIGSTOP) once its threads have spun, so that its CPU time holds
 * still while a test reads it, and exits when continued. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcp_pair.h"
#include "workload.h"

static int tcphold(uint64_t bytes, const char *gofile, uint16_t port)
{
	struct tp_traffic ct = {0}, at = {0};
	struct timespec nap = {.tv_nsec = 20000000};

	int l = tp_listen(&port), c, a;

	if (l < 0 || tp_connect(l, port, &c, &a) < 0 || tp_transfer(c, a, bytes) < 0 ||
	    tp_wait_acked(c, bytes + 1) < 0)
		return -1;
	printf("%" PRIu16 "\n", port);
	fflush(stdout);
	for (int i = 0; access(gofile, F_OK) != 0; i++) {
		if (i > 60 * 50)
			return -1; /* a minute: the test is gone */
		nanosleep(&nap, NULL);
	}
	if (tp_finish(c, a, &ct, &at) < 0)
		return -1;
	close(l);
	printf("client %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", ct.sent, ct.rcvd,
	       ct.segs_out, ct.segs_in);
	printf("server %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", at.sent, at.rcvd,
	       at.segs_out, at.segs_in);
	return 0;
}

static unsigned num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v == 0 || v > 100000000UL) {
		fprintf(stderr, "ebs-workload: bad count '%s'\n", s);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";
	int rc;

	if (!strcmp(w, "getppid") && argc >= 3)
		rc = wl_getppid(argc > 3 ? argv[3] : NULL, num(argv[2]));
	else if (!strcmp(w, "errors") && argc >= 3)
		rc = wl_errors(argc > 3 ? argv[3] : NULL, num(argv[2]));
	else if (!strcmp(w, "tcp") && argc == 3) {
		uint16_t port = 0;
		rc = wl_tcp(num(argv[2]), &port);
		if (rc == 0)
			printf("%" PRIu16 "\n", port);
	} else if (!strcmp(w, "refused"))
		rc = wl_tcp_refused();
	else if (!strcmp(w, "pingpong") && argc == 3)
		rc = wl_pingpong(num(argv[2]));
	else if (!strcmp(w, "forks") && argc == 3)
		rc = wl_forks(num(argv[2]));
	else if (!strcmp(w, "tcphold") && (argc == 4 || argc == 5))
		rc = tcphold(num(argv[2]), argv[3], argc == 5 ? (uint16_t)num(argv[4]) : 0);
	else if (!strcmp(w, "spin") && argc == 4) {
		rc = wl_spin(num(argv[2]), num(argv[3]));
		if (rc == 0)
			raise(SIGSTOP);
	} else if (!strcmp(w, "pages") && argc == 4)
		rc = wl_pages(num(argv[2]), num(argv[3]));
	else {
		fprintf(stderr, "usage: ebs-workload getppid N [COMM] | errors N [COMM] | tcp M | "
				"refused | pingpong K | forks F | tcphold BYTES GOFILE [PORT] | "
				"spin MS THREADS | pages MIB REPS\n");
		return 2;
	}
	if (rc < 0)
		fprintf(stderr, "ebs-workload: %s failed\n", w);
	return rc < 0 ? 1 : 0;
}
