/* ebpfstats-agentx: AgentX subagent serving EBPFSTATS-MIB.
 *
 * One thread, net-snmp's blocking agent_check_and_process(1) loop.  A
 * repeating alarm takes a core snapshot every interval; the MIB handlers
 * only read the newest one.  The process keeps its kernel programs (or the
 * pinned ones it reuses) while the master restarts: net-snmp pings the
 * master and reconnects and re-registers by itself, and the counters, living
 * in kernel maps, never notice. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "ebpfstats.h"
#include "mib_handlers.h"

#define PROG "ebpfstats-agentx"
#define EXIT_USAGE 3
/* Seconds between AgentX pings, which is also the period of the reconnect
 * attempts: a restarted master is served again within about this long (the
 * reliability tests hold it to 2 s).  agentxPingInterval in
 * ebpfstats-agentx.conf overrides. */
#define PING_INTERVAL 1

static volatile sig_atomic_t stop, reload;
static int wake_fd[2] = {-1, -1};

struct agent {
	const char *config_path; /* NULL: built-in defaults */
	const char *pin_path;	 /* -P: overrides the configuration's pin_path */
	struct ebs_config cfg;
	struct ebs *ebs;
	unsigned alarm;
	unsigned snap_errors; /* consecutive failed snapshots */
	/* events across snapshots and reloads: a reload is when a module's
	 * status changes, so this outlives the handle */
	struct ebs_events events;
	bool snmp_up; /* init_snmp() done: the AgentX session is open */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG
		" [-f] [-c FILE] [-P DIR] [-x SOCKET] [-L LOGOPTS] [-p PIDFILE] [-D TOKENS] [-V]\n"
		"  -c FILE     ebpfstats YAML configuration (default: built-in defaults)\n"
		"  -P DIR      pin programs and maps under DIR, not the configuration's pin_path\n"
		"              (\"\" = private programs); kept across reloads\n"
		"  -x SOCKET   AgentX master socket (default: net-snmp's, /var/agentx/master)\n"
		"  -f          stay in the foreground\n"
		"  -L LOGOPTS  where to log, as for snmpd: -Le (stderr), -Lf FILE, -Lsd (syslog)\n"
		"              default: stderr in the foreground, syslog (daemon) otherwise\n"
		"  -p PIDFILE  write the process id there\n"
		"  -D TOKENS   net-snmp debug output for these tokens (e.g. agentx)\n"
		"  -V          print the version\n"
		"Signals: SIGHUP reloads -c FILE (a bad file keeps the running configuration),\n"
		"SIGTERM and SIGINT stop.\n");
}

/* -P wins over the file, at start and at every reload: under systemd the
 * unit binds the pin directory to a path the service user can reach. */
static int override_pin_path(const struct agent *a, struct ebs_config *cfg, char *err,
			     size_t errlen)
{
	char why[EBS_ERR_LEN];

	if (!a->pin_path)
		return 0;
	if (ebs_config_set(cfg, "pin_path", a->pin_path, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "-P %s: %s", a->pin_path, why);
		return -1;
	}
	return 0;
}

static uint64_t now_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
	/* agent_check_and_process() sleeps in select(): wake it up */
	if (wake_fd[1] >= 0 && write(wake_fd[1], "x", 1) < 0) {
		/* pipe full: a wakeup is already pending */
	}
	errno = saved;
}

static void drain_wake(int fd, void *data)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* First thing: a SIGHUP or SIGTERM that comes while the programs load, or
 * while init_snmp() already answers the master (it does, waiting for its
 * registrations), is kept for the main loop instead of killing us. */
static int setup_signals(void)
{
	struct sigaction sa;

	if (pipe(wake_fd) < 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (fcntl(wake_fd[i], F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(wake_fd[i], F_SETFD, FD_CLOEXEC) < 0)
			return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- resident set --------------------------------------------------------
 * The subagent idles for days, so what it keeps resident after start-up is
 * what it costs.  Two things inflated it beyond net-snmp's own share:
 * OpenSSL's initialisation and the malloc heap left by the BPF load.  (The
 * kernel maps file pages 64 KiB around each fault, so a few calls into a big
 * library leave a lot of it resident.) */

/* libnetsnmp needs libcrypto for USM, which a subagent never speaks (AgentX
 * carries no security), but init_snmp() still calls it twice: RAND_bytes()
 * for USM's privacy salts, and an MD5 of our engineID to index net-snmp's
 * engine-time cache.  The first call initialises libcrypto: it reads
 * openssl.cnf, loads the default provider and, for RAND_bytes(), builds an
 * AES-CTR DRBG; that left 2 MB of libcrypto resident.  Before init_snmp():
 * skip openssl.cnf (nothing here uses TLS or configurable crypto) and serve
 * RAND_bytes() from the kernel's CSPRNG through OpenSSL's RAND_METHOD hook.
 * The MD5 still loads the default provider.  Both entry points are looked
 * up at run time, so a net-snmp without OpenSSL, or an OpenSSL without the
 * (deprecated) hook, just keeps its defaults. */
#define OSSL_INIT_NO_LOAD_CONFIG 0x80UL /* OPENSSL_INIT_NO_LOAD_CONFIG, <openssl/crypto.h> */

struct ossl_rand_method { /* RAND_METHOD, <openssl/rand.h>, OpenSSL 1.1 to 3.x */
	int (*seed)(const void *buf, int num);
	int (*bytes)(unsigned char *buf, int num);
	void (*cleanup)(void);
	int (*add)(const void *buf, int num, double randomness);
	int (*pseudorand)(unsigned char *buf, int num);
	int (*status)(void);
};

static int kernel_rand_bytes(unsigned char *buf, int num)
{
	size_t done = 0, len = num > 0 ? (size_t)num : 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		done += (size_t)n;
	}
	return 1;
}

static int kernel_rand_seed(const void *buf, int num)
{
	(void)buf;
	(void)num;
	return 1; /* the kernel's pool needs no help */
}

static int kernel_rand_add(const void *buf, int num, double randomness)
{
	(void)buf;
	(void)num;
	(void)randomness;
	return 1;
}

static int kernel_rand_status(void)
{
	return 1;
}

static void slim_openssl(void)
{
	static const struct ossl_rand_method meth = {
		.seed = kernel_rand_seed,
		.bytes = kernel_rand_bytes,
		.add = kernel_rand_add,
		.pseudorand = kernel_rand_bytes,
		.status = kernel_rand_status,
	};
	int (*init_crypto)(uint64_t opts, const void *settings);
	int (*set_rand)(const struct ossl_rand_method *meth);

	*(void **)&init_crypto = dlsym(RTLD_DEFAULT, "OPENSSL_init_crypto");
	*(void **)&set_rand = dlsym(RTLD_DEFAULT, "RAND_set_rand_method");
	if (init_crypto && init_crypto(OSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		snmp_log(LOG_WARNING, PROG ": OPENSSL_init_crypto failed\n");
	if (set_rand && set_rand(&meth) != 1)
		snmp_log(LOG_WARNING, PROG ": RAND_set_rand_method failed\n");
}

/* glibc raises its mmap threshold to the largest block freed so far; after
 * the BPF load (BTF of several MB) that is megabytes, blocks up to there come
 * from the heap and the heap is never trimmed.  A fixed threshold keeps the
 * dynamic adjustment off: big blocks are mmap()ed and go back when freed. */
static void slim_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

/* After start-up and after a reload: give free heap pages back. */
static void trim_heap(void)
{
	malloc_trim(0);
}

static void log_modules(const struct ebs_snapshot *s)
{
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		const struct ebs_module_stat *m = &s->modules[f];
		snmp_log(m->status == EBS_ST_OK ? LOG_INFO : LOG_WARNING,
			 PROG ": module %s: %s%s%s\n", ebs_family_name(f),
			 ebs_status_name(m->status), m->reason[0] ? ": " : "", m->reason);
	}
}

/* NULL when the snapshot failed: the previous one stays valid and served. */
static const struct ebs_snapshot *refresh(struct agent *a)
{
	char err[EBS_ERR_LEN];
	const struct ebs_snapshot *s = ebs_snapshot(a->ebs, err, sizeof(err));

	if (!s) {
		if (a->snap_errors++ == 0)
			snmp_log(LOG_ERR, PROG ": snapshot failed: %s\n", err);
		return NULL;
	}
	if (a->snap_errors) {
		snmp_log(LOG_INFO, PROG ": snapshots work again after %u failures\n",
			 a->snap_errors);
		a->snap_errors = 0;
	}
	ebs_mib_set_snapshot(s);
	/* the snapshot before init_snmp() has no master to send to: its
	 * events wait for the next one, which compares with what it saw last */
	if (a->snmp_up) {
		ebs_events_update(&a->events, s);
		ebs_mib_notify(&a->events, s);
	}
	return s;
}

static void on_alarm(unsigned int reg, void *arg)
{
	refresh(arg);
}

static int arm_refresh(struct agent *a)
{
	struct timeval tv;
	unsigned ms = a->cfg.interval_ms ? a->cfg.interval_ms : 10000;

	if (a->alarm)
		snmp_alarm_unregister(a->alarm);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	a->alarm = snmp_alarm_register_hr(tv, SA_REPEAT, on_alarm, a);
	return a->alarm ? 0 : -1;
}

/* SIGHUP: a bad file, or one that cannot be applied, leaves everything as it
 * was.  With pins the new handle reuses the running programs, so counters
 * carry on; private programs are replaced and ebsAgentProgramsLoaded moves. */
static void do_reload(struct agent *a)
{
	const struct ebs_snapshot *s;
	struct ebs_config cfg;
	char err[EBS_ERR_LEN];
	struct ebs *e;

	if (!a->config_path) {
		snmp_log(LOG_INFO,
			 PROG ": SIGHUP: no configuration file (-c), nothing to reload\n");
		return;
	}
	ebs_config_init(&cfg);
	if (ebs_config_load(&cfg, a->config_path, err, sizeof(err)) < 0 ||
	    override_pin_path(a, &cfg, err, sizeof(err)) < 0) {
		snmp_log(LOG_ERR, PROG ": reload: %s; keeping the running configuration\n", err);
		return;
	}
	if (ebs_raise_caps(err, sizeof(err)) < 0) {
		snmp_log(LOG_ERR, PROG ": reload: %s; keeping the running configuration\n", err);
		return;
	}
	e = ebs_open(&cfg, err, sizeof(err));
	if (ebs_drop_caps(err, sizeof(err)) < 0)
		snmp_log(LOG_WARNING, PROG ": %s\n", err);
	if (!e) {
		snmp_log(LOG_ERR, PROG ": reload: %s; keeping the running configuration\n", err);
		return;
	}
	ebs_mib_set_snapshot(NULL);
	ebs_close(a->ebs);
	a->ebs = e;
	a->cfg = cfg;
	a->events.limit = cfg.notify_limit;
	a->snap_errors = 0;
	s = refresh(a);
	if (arm_refresh(a) < 0)
		snmp_log(LOG_ERR, PROG ": cannot re-arm the refresh timer\n");
	snmp_log(LOG_INFO, PROG ": reloaded %s\n", a->config_path);
	if (s)
		log_modules(s);
	trim_heap();
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct agent a = {0};
	const struct ebs_snapshot *snap;
	const char *xsocket = NULL, *pidfile = NULL;
	bool foreground = false, logopt = false;
	char err[EBS_ERR_LEN];
	uint64_t start_ms;
	int c, rc = 1;

	while ((c = getopt(argc, argv, "c:P:x:fL:p:D:hV")) != -1) {
		switch (c) {
		case 'c': a.config_path = optarg; break;
		case 'P': a.pin_path = optarg; break;
		case 'x': xsocket = optarg; break;
		case 'f': foreground = true; break;
		case 'L':
			/* snmpd's syntax; may consume the next argument (-Lf FILE) */
			if (snmp_log_options(optarg, argc, argv) < 0) {
				fprintf(stderr, PROG ": bad -L option '%s'\n", optarg);
				return EXIT_USAGE;
			}
			logopt = true;
			break;
		case 'p': pidfile = optarg; break;
		case 'D':
			debug_register_tokens(optarg);
			snmp_set_do_debugging(1);
			break;
		case 'V': printf(PROG " %s\n", EBS_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!logopt) {
		if (foreground)
			snmp_enable_stderrlog();
		else
			snmp_enable_syslog_ident(PROG, LOG_DAEMON);
	}

	if (setup_signals() < 0) {
		snmp_log(LOG_ERR, PROG ": cannot set up signals: %s\n", strerror(errno));
		return 1;
	}
	slim_malloc();
	ebs_config_init(&a.cfg);
	if ((a.config_path && ebs_config_load(&a.cfg, a.config_path, err, sizeof(err)) < 0) ||
	    override_pin_path(&a, &a.cfg, err, sizeof(err)) < 0) {
		snmp_log(LOG_ERR, PROG ": %s\n", err);
		return EXIT_USAGE;
	}

	ebs_events_init(&a.events, a.cfg.notify_limit);
	start_ms = now_unix_ms();
	a.ebs = ebs_open(&a.cfg, err, sizeof(err));
	if (!a.ebs) {
		snmp_log(LOG_ERR, PROG ": %s\n", err);
		return 1;
	}
	/* Our own process: nothing after this needs privileges until a reload. */
	if (ebs_drop_caps(err, sizeof(err)) < 0)
		snmp_log(LOG_WARNING, PROG ": %s\n", err);

	if (!foreground && netsnmp_daemonize(1, snmp_stderrlog_status()) != 0) {
		snmp_log(LOG_ERR, PROG ": cannot go to the background\n");
		ebs_close(a.ebs);
		return 1;
	}
	if (pidfile && write_pidfile(pidfile) < 0) {
		snmp_log(LOG_WARNING, PROG ": cannot write %s: %s\n", pidfile, strerror(errno));
		pidfile = NULL;
	}

	/* A subagent needs no MIB files; skip loading them unless asked to. */
	if (setenv("MIBS", "", 0) < 0)
		snmp_log(LOG_WARNING, PROG ": setenv: %s\n", strerror(errno));
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	if (xsocket)
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
				      xsocket);
	/* nothing of ours to persist, and /var/lib/snmp may be read-only to us */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	slim_openssl();

	if (init_agent(PROG) != 0) {
		snmp_log(LOG_ERR, PROG ": init_agent failed\n");
		goto out;
	}
	/* after init_agent(), which sets net-snmp's default (15 s); before
	 * init_snmp(), which reads ebpfstats-agentx.conf and connects */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   PING_INTERVAL);
	if (register_readfd(wake_fd[0], drain_wake, NULL) != FD_REGISTERED_OK ||
	    ebs_mib_register(start_ms) < 0)
		goto out_snmp;
	/* the first snapshot before the master can ask anything */
	snap = refresh(&a);
	if (snap)
		log_modules(snap);
	init_snmp(PROG);
	a.snmp_up = true;
	if (arm_refresh(&a) < 0) {
		snmp_log(LOG_ERR, PROG ": cannot set up the refresh timer: %s\n", strerror(errno));
		goto out_snmp;
	}
	snmp_log(LOG_INFO, PROG " %s started (AgentX socket %s)\n", EBS_VERSION,
		 xsocket ? xsocket : "default");
	trim_heap();

	while (!stop) {
		agent_check_and_process(1);
		if (reload) {
			reload = 0;
			do_reload(&a);
		}
	}
	snmp_log(LOG_INFO, PROG ": stopping\n");
	rc = 0;
out_snmp:
	ebs_mib_unregister();
	snmp_shutdown(PROG);
out:
	ebs_close(a.ebs);
	if (pidfile)
		unlink(pidfile);
	return rc;
}
