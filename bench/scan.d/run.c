/*
 * bench/scan.d/run.c: run one scanner inside the test bed and measure it.
 *
 *   run -n SCAN_NETNS -c COUNT_NETNS -t TIMEOUT_S -o RESULT_FILE [-i SAMPLE_US]
 *       [-N IDLE_S -a SCANNER_ADDR] -- CMD ARGS...
 *
 * 1. Opens /proc/self/net/snmp while inside COUNT_NETNS (the target namespace): the file stays
 *    bound to that namespace, so re-reading it gives the target side's counters.
 * 2. Enters SCAN_NETNS the way `ip netns exec` does (network namespace, private mount namespace,
 *    /sys remounted for it), then forks CMD in its own process group and execs it.
 * 3. While CMD runs, samples the target's counters every SAMPLE_US (default 1000 us; every
 *    10 ms once the count has not moved for 30 ms, to keep this sampler's own load low):
 *    arrived = UDP InDatagrams + NoPorts + InErrors + IP InAddrErrors (every datagram that
 *    reached the target namespace: to a responder socket, to a local address with no socket, or
 *    to a silent address, which the bed routes to a blackhole), and records when the count first
 *    and last changed - the sending window as seen by the targets.
 * 4. Kills the process group (SIGTERM, SIGKILL 2 s later) when TIMEOUT_S passes, or when this
 *    program gets SIGINT/SIGTERM; waits with wait4() for CMD's own CPU time (user, system: all
 *    its threads and any children it waited for; not this sampler's).
 *
 * 5. With -N: when CMD still runs IDLE_S seconds after the last datagram reached the targets,
 *    sends one 1-byte UDP datagram from the target namespace to SCANNER_ADDR port 9 every
 *    0.5 s. On a silent interface masscan 1.3.2's receive thread stays blocked in libpcap after
 *    its --wait and the program never exits (upstream issues #144, #558, #813); any packet
 *    arriving wakes it, as background traffic would on a real network.
 *
 * RESULT_FILE gets key=value lines: exit (status, or 128+signal), timed_out, wall_s, user_s,
 * sys_s, cpu_s, arrived, delivered (to responder sockets: InDatagrams), window_s, pps, samples,
 * nudges.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void die(const char *what)
{
	fprintf(stderr, "run: %s: %s\n", what, strerror(errno));
	exit(125);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A number in [lo, hi] from the whole of s (strtod: errno, end pointer and range checked). */
static int parse_num(const char *s, double lo, double hi, double *ret)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*ret = v;
	return 0;
}

static void enter_netns(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (setns(fd, CLONE_NEWNET) != 0)
		die("setns");
	close(fd);
}

/* Field name of line "Prefix: names..." / "Prefix: values..." in a /proc/net/snmp text. */
static int snmp_field(const char *text, const char *prefix, const char *name, uint64_t *ret)
{
	size_t pl = strlen(prefix), nl = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, prefix, pl) != 0 || p[pl] != ':')
			continue;
		/* the names line; the values line follows */
		const char *vals = strchr(p, '\n');
		if (!vals || strncmp(vals + 1, prefix, pl) != 0)
			return -1;
		vals += 1 + pl + 1;
		const char *q = p + pl + 1;
		for (;;) {
			while (*q == ' ')
				q++;
			while (*vals == ' ')
				vals++;
			if (*q == '\n' || !*q || *vals == '\n' || !*vals)
				return -1;
			size_t wl = strcspn(q, " \n");
			if (wl == nl && strncmp(q, name, nl) == 0) {
				*ret = strtoull(vals, NULL, 10);
				return 0;
			}
			q += wl;
			vals += strcspn(vals, " \n");
		}
	}
	return -1;
}

/*
 * Datagrams that reached the target namespace: UDP InDatagrams (to a responder socket), NoPorts,
 * InErrors, plus IP InAddrErrors (to a silent address: dropped by its blackhole route with
 * forwarding off, no ICMP). delivered = InDatagrams.
 */
static int read_counts(int fd, uint64_t *arrived, uint64_t *delivered)
{
	static char buf[16384];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	uint64_t in, noports, inerr, addrerr;
	if (snmp_field(buf, "Udp", "InDatagrams", &in) ||
	    snmp_field(buf, "Udp", "NoPorts", &noports) ||
	    snmp_field(buf, "Udp", "InErrors", &inerr) ||
	    snmp_field(buf, "Ip", "InAddrErrors", &addrerr))
		return -1;
	*arrived = in + noports + inerr + addrerr;
	*delivered = in;
	return 0;
}

int main(int argc, char **argv)
{
	const char *scan_ns = NULL, *count_ns = NULL, *result = NULL, *nudge_addr = NULL;
	double timeout = 60, sample_us = 1000, idle = 0;
	int opt, bad = 0;
	while ((opt = getopt(argc, argv, "+n:c:t:o:i:N:a:")) != -1) {
		switch (opt) {
		case 'n':
			scan_ns = optarg;
			break;
		case 'c':
			count_ns = optarg;
			break;
		case 't':
			bad |= parse_num(optarg, 0.1, 86400, &timeout);
			break;
		case 'o':
			result = optarg;
			break;
		case 'i':
			bad |= parse_num(optarg, 100, 1e6, &sample_us);
			break;
		case 'N':
			bad |= parse_num(optarg, 0.1, 3600, &idle);
			break;
		case 'a':
			nudge_addr = optarg;
			break;
		default:
			goto usage;
		}
	}
	struct sockaddr_in nudge_to = {.sin_family = AF_INET, .sin_port = htons(9)};
	if (!scan_ns || !count_ns || !result || optind >= argc || bad ||
	    (idle > 0) != !!nudge_addr ||
	    (nudge_addr && inet_pton(AF_INET, nudge_addr, &nudge_to.sin_addr) != 1)) {
usage:
		fprintf(stderr, "usage: run -n SCAN_NETNS -c COUNT_NETNS -t TIMEOUT_S -o RESULT "
				"[-i SAMPLE_US] [-N IDLE_S -a SCANNER_ADDR] -- CMD ARGS...\n");
		return 125;
	}

	/* The target side's counters, then the scanner's namespace (as `ip netns exec` sets it). */
	enter_netns(count_ns);
	int snmp = open("/proc/self/net/snmp", O_RDONLY | O_CLOEXEC);
	if (snmp < 0)
		die("/proc/self/net/snmp");
	int nudge_fd = -1;
	if (nudge_addr && (nudge_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	enter_netns(scan_ns);
	if (unshare(CLONE_NEWNS) != 0)
		die("unshare(CLONE_NEWNS)");
	if (mount("", "/", NULL, MS_SLAVE | MS_REC, NULL) != 0)
		die("mount --make-rslave /");
	if (umount2("/sys", MNT_DETACH) != 0 && errno != EINVAL)
		die("umount /sys");
	if (mount(scan_ns, "/sys", "sysfs", 0, NULL) != 0)
		die("mount sysfs");

	uint64_t base = 0, base_in = 0;
	if (read_counts(snmp, &base, &base_in) != 0) {
		fprintf(stderr, "run: cannot parse /proc/net/snmp\n");
		return 125;
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "run: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);

	/* Sample until the child is gone. */
	uint64_t last = base, cur = base, in = base_in;
	double t_prev = t0, first_lo = 0, first_hi = 0, last_lo = 0, last_hi = 0;
	int started = 0, timed_out = 0, killed = 0;
	unsigned long samples = 0;
	double kill_at = 0, next_nudge = 0;
	unsigned long nudges = 0;
	struct rusage ru;
	int status = 0;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		pid_t w = wait4(pid, &status, WNOHANG, &ru);
		double t = now_s();
		if (read_counts(snmp, &cur, &in) == 0) {
			samples++;
			if (cur != last) {
				if (!started) {
					started = 1;
					first_lo = t_prev;
					first_hi = t;
				}
				last_lo = t_prev;
				last_hi = t;
				last = cur;
			}
		}
		t_prev = t;
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			die("wait4");
		double quiet_since = started ? last_hi : t0;
		if (nudge_fd >= 0 && t - quiet_since > idle && t >= next_nudge) {
			if (sendto(nudge_fd, "n", 1, 0, (struct sockaddr *)&nudge_to,
				   sizeof(nudge_to)) == 1)
				nudges++;
			next_nudge = t + 0.5;
		}
		if (!killed && (got_signal || t - t0 > timeout)) {
			timed_out = !got_signal;
			kill(-pid, SIGTERM);
			killed = 1;
			kill_at = t + 2;
		} else if (killed == 1 && t > kill_at) {
			kill(-pid, SIGKILL);
			killed = 2;
		}
		/* Fine sampling until the first change and while the count moves; once it has
		 * been still for 30 ms (the tool's listening time), every 10 ms is enough. */
		double step_us = started && t - last_hi > 0.03 ? 10000 : sample_us;
		next.tv_nsec += (long)(step_us * 1000);
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	double wall = now_s() - t0;
	/* Anything of the process group still around (a tool's own children) goes too. */
	kill(-pid, SIGKILL);

	uint64_t arrived = cur - base, delivered = in - base_in;
	double window = 0;
	if (started)
		window = (last_lo + last_hi) / 2 - (first_lo + first_hi) / 2;
	if (started && window <= 0)
		window = last_hi - first_lo;
	double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	FILE *f = fopen(result, "w");
	if (!f)
		die(result);
	fprintf(f,
		"exit=%d\ntimed_out=%d\nwall_s=%.3f\nuser_s=%.3f\nsys_s=%.3f\ncpu_s=%.3f\n"
		"arrived=%llu\ndelivered=%llu\nwindow_s=%.4f\npps=%.0f\nsamples=%lu\nnudges=%lu\n",
		code, timed_out, wall, user, sys, user + sys, (unsigned long long)arrived,
		(unsigned long long)delivered, window, window > 0 ? (double)arrived / window : 0.0,
		samples, nudges);
	fclose(f);
	if (got_signal)
		return 128 + got_signal;
	return code;
}
