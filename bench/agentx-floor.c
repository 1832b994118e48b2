/* The floor of bench/run's SNMP case: the least an AgentX subagent built on
 * net-snmp can do per varbind.  It serves one table of constant Counter64
 * values, COLS columns by ROWS rows, and finds each GETNEXT's answer by
 * arithmetic, so a walk of it costs only what net-snmp's master, AgentX
 * and subagent machinery cost.  bench/run walks it with as many varbinds
 * as the EBPFSTATS subtree has, right after walking that.
 *
 *   agentx-floor SOCKET OID ROWS COLS
 *
 * Registers OID as the table (entries at OID.1.col.row), runs until SIGTERM
 * or SIGINT.  Prints "ready" on stdout once initialised (the master knows
 * the table once a GET of it answers). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

static oid table[MAX_OID_LEN];
static size_t table_len;
static unsigned long rows, cols;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void set_value(netsnmp_variable_list *vb, unsigned long col, unsigned long row)
{
	struct counter64 c = {.high = 0, .low = col * 1000000 + row};

	snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
}

/* The instance after name: column by column, rows 1..ROWS in each. */
static int next_instance(const oid *name, size_t len, unsigned long *col, unsigned long *row)
{
	int c = snmp_oid_ncompare(name, len, table, table_len, table_len);

	*col = 1;
	*row = 1;
	if (c > 0)
		return 0;
	if (c < 0 || len == table_len || name[table_len] < 1)
		return 1;
	if (name[table_len] > 1)
		return 0;
	if (len <= table_len + 1 || name[table_len + 1] < 1)
		return 1;
	*col = name[table_len + 1];
	if (*col > cols)
		return 0;
	*row = len <= table_len + 2 ? 1 : name[table_len + 2] + 1;
	if (*row > rows) {
		*col += 1;
		*row = 1;
	}
	return *col <= cols;
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
		   netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	(void)h;
	(void)reg;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		unsigned long col, row;
		oid name[MAX_OID_LEN];

		if (r->processed)
			continue;
		if (reqinfo->mode == MODE_GET) {
			if (vb->name_length == table_len + 3 && vb->name[table_len] == 1 &&
			    vb->name[table_len + 1] >= 1 && vb->name[table_len + 1] <= cols &&
			    vb->name[table_len + 2] >= 1 && vb->name[table_len + 2] <= rows)
				set_value(vb, vb->name[table_len + 1], vb->name[table_len + 2]);
			else
				netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
		} else if (reqinfo->mode == MODE_GETNEXT) {
			if (!next_instance(vb->name, vb->name_length, &col, &row))
				continue;
			memcpy(name, table, table_len * sizeof(oid));
			name[table_len] = 1;
			name[table_len + 1] = col;
			name[table_len + 2] = row;
			snmp_set_var_objid(vb, name, table_len + 3);
			set_value(vb, col, row);
		} else {
			return SNMP_ERR_GENERR;
		}
	}
	return SNMP_ERR_NOERROR;
}

int main(int argc, char **argv)
{
	netsnmp_handler_registration *reg;

	if (argc != 5) {
		fprintf(stderr, "usage: agentx-floor SOCKET OID ROWS COLS\n");
		return 2;
	}
	rows = strtoul(argv[3], NULL, 10);
	cols = strtoul(argv[4], NULL, 10);
	for (char *p = argv[2], *end; *p && table_len < MAX_OID_LEN - 3; p = end) {
		if (*p == '.')
			p++;
		table[table_len++] = strtoul(p, &end, 10);
		if (end == p || (*end && *end != '.'))
			table_len = 0, end = p + strlen(p);
	}
	if (table_len < 2 || rows < 1 || cols < 1) {
		fprintf(stderr, "agentx-floor: bad OID, ROWS or COLS\n");
		return 2;
	}
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, argv[1]);
	snmp_disable_log();
	snmp_enable_stderrlog();
	if (init_agent("agentx-floor") != 0)
		return 1;
	reg = netsnmp_create_handler_registration("agentxFloor", handler, table, table_len,
						  HANDLER_CAN_RONLY);
	if (!reg || netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
		return 1;
	init_snmp("agentx-floor");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		agent_check_and_process(1);
	snmp_shutdown("agentx-floor");
	return 0;
}
