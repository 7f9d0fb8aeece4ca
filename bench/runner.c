/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-runner: runs one command per mail the way Postfix's pipe(8) and
 * local(8) do (a new process, the mail on a pipe to its standard input,
 * SENDER and RECIPIENT in the environment), with J concurrent workers,
 * and writes one line of figures per mail: wall time from spawn to reap,
 * exit status, and the child's resource usage from wait4(2). It is in C
 * so that the driver's own cost stays out of the figures; bench/driver
 * turns the lines into rates and percentiles.
 *
 *   tg-runner [-j N] [-t TAG] [-e NAME=VALUE]... [-o OUT] -l LIST -- CMD...
 *   tg-runner [-j N] -n COUNT [-o OUT] -- CMD...
 *
 * LIST has one mail a line: PATH<TAB>SENDER<TAB>RECIPIENT (an empty
 * SENDER is the null sender <>). Each mail is streamed from its file to
 * the pipe in 64 KiB pieces, and each occurrence of the 8 bytes
 * "BENCHRUN" is replaced by TAG (8 bytes) on the way, so that one corpus
 * can be delivered many times into one database without being taken for
 * a retry. With -n the command runs COUNT times with an empty standard
 * input.
 *
 * The runner must stay small: Linux reports as a child's ru_maxrss the
 * high-water mark of the memory it exec'd from, too, and posix_spawn
 * execs from the runner's own (exec_mmap records the old mm's
 * hiwater_rss in signal->maxrss). Holding the corpus in memory would
 * make every child look as big as the corpus.
 *
 * OUT gets a header line, then per mail: index, worker, start (ms since
 * the run began), latency (ms), exit code (-N for signal N), maxrss (KiB),
 * user and system CPU (ms), minor faults, voluntary and involuntary
 * context switches, bytes of input, the child's pid, and the first line
 * of its stderr (if any). The last line
 * is "# wall_ms=...". Any non-zero exit is also reported on stderr, and
 * then the runner exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PLACEHOLDER "BENCHRUN"
#define MAX_ENV 64

extern char **environ;

typedef struct {
	size_t len;
	char *sender;
	char *recipient;
	const char *path;
	/* results */
	double start_ms, latency_ms;
	int code, worker;
	pid_t pid;
	struct rusage ru;
	char err[160];
} Mail;

static Mail *mails;
static size_t n_mails;
static const char *tag;
static atomic_size_t next_mail;
static char **command;
static const char *env_base[MAX_ENV];
static int n_env_base;
static struct timespec t_start;

static void
die (const char *what)
{
	fprintf (stderr, "tg-runner: %s: %s\n", what, strerror (errno));
	exit (2);
}

static double
ms_since (const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static size_t
file_size (const char *path)
{
	struct stat st;

	if (stat (path, &st) < 0)
		die (path);
	return (size_t) st.st_size;
}

/* Writes the whole buffer; a child that stops reading early is its own
 * business (its exit code tells), so a failed write just ends it. */
static int
write_all (int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write (fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t) n;
	}
	return 0;
}

/* Replaces the placeholder by the tag in buf[0..len). */
static void
retag (char *buf, size_t len)
{
	char *p = buf, *end = buf + len;
	size_t k = strlen (PLACEHOLDER);

	while ((p = memmem (p, (size_t) (end - p), PLACEHOLDER, k)) != NULL) {
		memcpy (p, tag, k);
		p += k;
	}
}

/* Streams the mail to fd, keeping the last bytes of each piece back
 * until the next one is read, so that a placeholder cut in two by a
 * piece boundary is found too. */
static void
feed (int fd, const Mail *m, char *buf, size_t size)
{
	size_t k = strlen (PLACEHOLDER) - 1, have = 0;
	int in;

	if (m->path == NULL)
		return;
	in = open (m->path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		die (m->path);
	for (;;) {
		ssize_t n = read (in, buf + have, size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die (m->path);
		have += (size_t) n;
		if (tag != NULL)
			retag (buf, have);
		if (n == 0) {
			write_all (fd, buf, have);
			break;
		}
		if (have > k) {
			if (write_all (fd, buf, have - k) < 0)
				break;
			memmove (buf, buf + have - k, k);
			have = k;
		}
	}
	close (in);
}

static void
load_list (const char *list)
{
	FILE *f = fopen (list, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t n;

	if (f == NULL)
		die (list);
	while ((n = getline (&line, &cap, f)) > 0) {
		char *fields[3] = { NULL, "", "" };
		char *s = line;
		Mail *m;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		for (int i = 0; i < 3 && s != NULL; i++) {
			fields[i] = s;
			s = strchr (s, '\t');
			if (s != NULL)
				*s++ = '\0';
		}
		if (n_mails == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			mails = realloc (mails, alloc * sizeof *mails);
			if (mails == NULL)
				die ("malloc");
		}
		m = &mails[n_mails++];
		memset (m, 0, sizeof *m);
		m->path = strdup (fields[0]);
		m->len = file_size (fields[0]);
		m->sender = strdup (fields[1]);
		m->recipient = strdup (fields[2]);
	}
	free (line);
	fclose (f);
}

static char *
env_pair (const char *name, const char *value)
{
	char *s = malloc (strlen (name) + strlen (value) + 2);

	if (s == NULL)
		die ("malloc");
	sprintf (s, "%s=%s", name, value);
	return s;
}

static void
run_one (Mail *m, int worker, int errfd, char *buf, size_t size)
{
	posix_spawn_file_actions_t fa;
	struct timespec t0, t1;
	char *envp[MAX_ENV + 3];
	char *s_sender = NULL, *s_rcpt = NULL;
	int in[2], status = 0, ne = 0;
	pid_t pid;
	struct stat st;

	for (int i = 0; i < n_env_base; i++)
		envp[ne++] = (char *) env_base[i];
	if (m->recipient != NULL) {
		s_sender = env_pair ("SENDER", m->sender);
		s_rcpt = env_pair ("RECIPIENT", m->recipient);
		envp[ne++] = s_sender;
		envp[ne++] = s_rcpt;
	}
	envp[ne] = NULL;
	if (pipe2 (in, O_CLOEXEC) < 0)
		die ("pipe");
	if (ftruncate (errfd, 0) < 0 || lseek (errfd, 0, SEEK_SET) < 0)
		die ("stderr file");
	posix_spawn_file_actions_init (&fa);
	posix_spawn_file_actions_adddup2 (&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_addopen (&fa, STDOUT_FILENO, "/dev/null",
					  O_WRONLY, 0);
	posix_spawn_file_actions_adddup2 (&fa, errfd, STDERR_FILENO);
	clock_gettime (CLOCK_MONOTONIC, &t0);
	errno = posix_spawn (&pid, command[0], &fa, NULL, command, envp);
	if (errno != 0)
		die (command[0]);
	close (in[0]);
	feed (in[1], m, buf, size);
	close (in[1]);
	while (wait4 (pid, &status, 0, &m->ru) < 0)
		if (errno != EINTR)
			die ("wait4");
	clock_gettime (CLOCK_MONOTONIC, &t1);
	posix_spawn_file_actions_destroy (&fa);
	m->start_ms = ms_since (&t_start, &t0);
	m->latency_ms = ms_since (&t0, &t1);
	m->worker = worker;
	m->pid = pid;
	m->code = WIFEXITED (status) ? WEXITSTATUS (status)
				     : -WTERMSIG (status);
	if (fstat (errfd, &st) == 0 && st.st_size > 0) {
		ssize_t n = pread (errfd, m->err, sizeof m->err - 1, 0);

		m->err[n > 0 ? n : 0] = '\0';
		m->err[strcspn (m->err, "\r\n\t")] = '\0';
	}
	free (s_sender);
	free (s_rcpt);
}

static void *
worker_main (void *arg)
{
	int worker = (int) (long) arg;
	char name[] = "/tmp/tg-runner-err.XXXXXX";
	int errfd = mkostemp (name, O_CLOEXEC);
	size_t i, size = 64 * 1024;
	char *buf = malloc (size);

	if (errfd < 0 || buf == NULL)
		die ("mkostemp");
	unlink (name);
	while ((i = atomic_fetch_add (&next_mail, 1)) < n_mails)
		run_one (&mails[i], worker, errfd, buf, size);
	close (errfd);
	free (buf);
	return NULL;
}

static double
tv_ms (const struct timeval *tv)
{
	return tv->tv_sec * 1e3 + tv->tv_usec / 1e3;
}

static void
usage (void)
{
	fprintf (stderr, "usage: tg-runner [-j N] [-t TAG] [-e NAME=VALUE]... "
			 "[-o OUT] (-l LIST | -n COUNT) -- CMD...\n");
	exit (2);
}

int
main (int argc, char **argv)
{
	const char *list = NULL, *out_path = NULL;
	long jobs = 1, count = 0;
	pthread_t threads[64];
	struct timespec t_end;
	FILE *out = stdout;
	int opt, failed = 0;

	while ((opt = getopt (argc, argv, "j:t:e:o:l:n:")) != -1) {
		switch (opt) {
		case 'j':
			jobs = strtol (optarg, NULL, 10);
			break;
		case 't':
			tag = optarg;
			break;
		case 'e':
			if (n_env_base == MAX_ENV)
				usage ();
			env_base[n_env_base++] = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'l':
			list = optarg;
			break;
		case 'n':
			count = strtol (optarg, NULL, 10);
			break;
		default:
			usage ();
		}
	}
	if (optind >= argc || (list == NULL) == (count <= 0) || jobs < 1 ||
	    jobs > 64 || (tag != NULL && strlen (tag) != strlen (PLACEHOLDER)))
		usage ();
	command = argv + optind;
	signal (SIGPIPE, SIG_IGN);
	if (list != NULL) {
		load_list (list);
	} else {
		n_mails = (size_t) count;
		mails = calloc (n_mails, sizeof *mails);
		if (mails == NULL)
			die ("malloc");
	}
	if (out_path != NULL && (out = fopen (out_path, "w")) == NULL)
		die (out_path);
	clock_gettime (CLOCK_MONOTONIC, &t_start);
	for (long w = 0; w < jobs; w++)
		if ((errno = pthread_create (&threads[w], NULL, worker_main,
					     (void *) w)) != 0)
			die ("pthread_create");
	for (long w = 0; w < jobs; w++)
		pthread_join (threads[w], NULL);
	clock_gettime (CLOCK_MONOTONIC, &t_end);
	fprintf (out, "#index\tworker\tstart_ms\tlatency_ms\tcode\tmaxrss_kb\t"
		      "user_ms\tsys_ms\tminflt\tnvcsw\tnivcsw\tbytes\tpid\tstderr\n");
	for (size_t i = 0; i < n_mails; i++) {
		const Mail *m = &mails[i];

		fprintf (out, "%zu\t%d\t%.3f\t%.3f\t%d\t%ld\t%.3f\t%.3f\t%ld\t%ld\t"
			      "%ld\t%zu\t%ld\t%s\n",
			 i, m->worker, m->start_ms, m->latency_ms, m->code,
			 m->ru.ru_maxrss, tv_ms (&m->ru.ru_utime),
			 tv_ms (&m->ru.ru_stime), m->ru.ru_minflt,
			 m->ru.ru_nvcsw, m->ru.ru_nivcsw, m->len, (long) m->pid,
			 m->err);
		if (m->code != 0) {
			failed++;
			fprintf (stderr, "tg-runner: FAILED: %s exited %d: %s\n",
				 m->path ? m->path : "(empty input)", m->code,
				 m->err);
		}
	}
	fprintf (out, "# wall_ms=%.3f mails=%zu jobs=%ld failed=%d\n",
		 ms_since (&t_start, &t_end), n_mails, jobs, failed);
	if (out != stdout && fclose (out) != 0)
		die (out_path);
	return failed ? 1 : 0;
}
