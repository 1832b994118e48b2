/* Command-line front of the known workloads, for the shell integration
 * tests (collectd, SNMP, demo):
 *   ebs-workload getppid N [COMM] | errors N [COMM] | tcp M | refused |
 *                pingpong K | forks F
 * tcp prints the listener port it used. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

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
	else {
		fprintf(stderr, "usage: ebs-workload getppid N [COMM] | errors N [COMM] | tcp M | "
				"refused | pingpong K | forks F\n");
		return 2;
	}
	if (rc < 0)
		fprintf(stderr, "ebs-workload: %s failed\n", w);
	return rc < 0 ? 1 : 0;
}
