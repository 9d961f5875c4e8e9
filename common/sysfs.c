#define _GNU_SOURCE
#include "sysfs.h"
#include "msg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char sysroot[PATH_MAX];
bool pt_dry_run;
FILE *pt_dry_run_out;

void pt_dry_run_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(pt_dry_run_out ? pt_dry_run_out : stdout, fmt, ap);
	va_end(ap);
}

int pt_sysroot_set(const char *dir)
{
	struct stat st;
	size_t n;

	if (!dir || !*dir || strcmp(dir, "/") == 0) {
		sysroot[0] = '\0';
		return 0;
	}
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= sizeof(sysroot) - 256)
		return -ENAMETOOLONG;
	memcpy(sysroot, dir, n);
	sysroot[n] = '\0';
	return 0;
}

const char *pt_sysroot(void) { return sysroot; }
bool pt_sysroot_live(void) { return sysroot[0] == '\0'; }

static int vpath(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t r = strlen(sysroot);
	int n;

	if (r >= len)
		return -ENAMETOOLONG;
	memcpy(buf, sysroot, r);
	n = vsnprintf(buf + r, len - r, fmt, ap);
	if (n < 0 || (size_t)n >= len - r)
		return -ENAMETOOLONG;
	return 0;
}

int pt_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vpath(buf, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* Declare `path` as the rooted form of the printf-style arguments. */
#define ROOT_PATH(path, fmt)                                             \
	char path[PATH_MAX];                                             \
	do {                                                             \
		va_list ap_;                                             \
		int prc_;                                                \
		va_start(ap_, fmt);                                      \
		prc_ = vpath(path, sizeof(path), fmt, ap_);              \
		va_end(ap_);                                             \
		if (prc_ < 0)                                            \
			return prc_;                                     \
	} while (0)

static int read_into(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if ((size_t)n == len) {
		/* a short attribute read that fills the buffer may be cut */
		char c;
		ssize_t more = read(fd, &c, 1);
		close(fd);
		if (more != 0)
			return -EOVERFLOW;
		return (int)n;
	}
	close(fd);
	return (int)n;
}

int pt_read_text(char *buf, size_t len, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	{
		int n;
		if (len == 0)
			return -EOVERFLOW;
		n = read_into(path, buf, len - 1);
		if (n < 0)
			return n;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
			n--;
		buf[n] = '\0';
		if (memchr(buf, '\0', (size_t)n))
			return -EINVAL; /* binary where text was expected */
		return n;
	}
}

int pt_read_hex(unsigned long *v, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	{
		char buf[64], *end;
		int n = read_into(path, buf, sizeof(buf) - 1);
		if (n < 0)
			return n;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		buf[n] = '\0';
		if (n == 0 || buf[0] == '-' || buf[0] == '+' || buf[0] == ' ')
			return -EINVAL;
		errno = 0;
		unsigned long r = strtoul(buf, &end, 16);
		if (errno || *end)
			return -EINVAL;
		*v = r;
		return 0;
	}
}

int pt_read_link(char *buf, size_t len, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	{
		ssize_t n = readlink(path, buf, len);
		if (n < 0)
			return -errno;
		if ((size_t)n >= len)
			return -EOVERFLOW;
		buf[n] = '\0';
		return (int)n;
	}
}

int pt_read_link_name(char *buf, size_t len, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	{
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		const char *base;
		size_t bl;
		if (n < 0)
			return -errno;
		target[n] = '\0';
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		bl = strlen(base);
		if (bl == 0)
			return -EINVAL;
		if (bl >= len)
			return -EOVERFLOW;
		memcpy(buf, base, bl + 1);
		return (int)bl;
	}
}

bool pt_exists(const char *fmt, ...)
{
	char path[PATH_MAX];
	struct stat st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	return rc == 0 && lstat(path, &st) == 0;
}

long pt_read_file(char **out, size_t max, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	{
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		size_t cap = 4096, len = 0;
		char *buf;
		if (fd < 0)
			return -errno;
		buf = pt_xmalloc(cap + 1);
		for (;;) {
			ssize_t n;
			if (len == cap) {
				if (cap >= max)
					break;
				cap = cap * 2 > max ? max : cap * 2;
				buf = pt_xrealloc(buf, cap + 1);
			}
			n = read(fd, buf + len, cap - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				int e = errno;
				close(fd);
				free(buf);
				return -e;
			}
			if (n == 0)
				break;
			len += (size_t)n;
		}
		close(fd);
		buf[len] = '\0';
		*out = buf;
		return (long)len;
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

int pt_list_dir(char ***names, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	{
		DIR *d = opendir(path);
		struct dirent *e;
		char **v = NULL;
		int n = 0, cap = 0;
		if (!d)
			return -errno;
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = pt_xrealloc(v, sizeof(*v) * (size_t)cap);
			}
			v[n++] = pt_xstrdup(e->d_name);
		}
		closedir(d);
		if (n)
			qsort(v, (size_t)n, sizeof(*v), cmp_names);
		*names = v;
		return n;
	}
}

void pt_free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

#ifdef PT_TEST_FAULTS
/* Test builds only: PASSTHRU_FAIL_WRITE=N makes the Nth sysfs write fail. */
static int fault_due(void)
{
	static long count, fail_at = -1;
	if (fail_at < 0) {
		const char *e = getenv("PASSTHRU_FAIL_WRITE");
		fail_at = e ? strtol(e, NULL, 10) : 0;
	}
	return fail_at > 0 && ++count == fail_at;
}
#endif

void pt_fault_point(void)
{
#ifdef PT_TEST_FAULTS
	/* PASSTHRU_KILL_WRITE=N: SIGKILL before the Nth change to the host (a
	 * sysfs write, a file created or removed, a journal update), as a
	 * power cut or `kill -9` would */
	static long count, kill_at = -1;
	if (kill_at < 0) {
		const char *e = getenv("PASSTHRU_KILL_WRITE");
		kill_at = e ? strtol(e, NULL, 10) : 0;
	}
	/* PASSTHRU_SIGNAL_WRITE=N: the signal PASSTHRU_SIGNAL (INT, TERM, HUP,
	 * QUIT; TERM by default) as the Nth change starts, as a user's ^C */
	static long sig_at = -1;
	if (sig_at < 0) {
		const char *e = getenv("PASSTHRU_SIGNAL_WRITE");
		sig_at = e ? strtol(e, NULL, 10) : 0;
	}
	++count;
	if (kill_at > 0 && count == kill_at)
		raise(SIGKILL);
	if (sig_at > 0 && count == sig_at) {
		const char *n = getenv("PASSTHRU_SIGNAL");
		int sig = !n ? SIGTERM : !strcmp(n, "INT") ? SIGINT : !strcmp(n, "HUP") ? SIGHUP
			: !strcmp(n, "QUIT") ? SIGQUIT : SIGTERM;
		raise(sig);
	}
#endif
}

void pt_one_line(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	if (len)
		out[o] = '\0';
}

/* How long a sysfs write may take: PASSTHRU_WRITE_TIMEOUT seconds, 30 by
 * default, 0 for no limit. */
static int write_timeout(void)
{
	static int secs = -1;

	if (secs < 0) {
		const char *e = getenv("PASSTHRU_WRITE_TIMEOUT");
		char *end;
		long v = e && *e ? strtol(e, &end, 10) : 30;

		secs = e && *e && (*end || v < 0 || v > 86400) ? 30 : (int)v;
	}
	return secs;
}

/* A write the kernel may not finish (an unbind waiting for a driver's last
 * user, a remove waiting for a VM): done by a child of its own while this
 * process waits at most write_timeout() seconds. The child keeps nothing
 * but the attribute open, so a write that never returns holds no lock, no
 * pipe of the caller's, no terminal; it ends when the kernel lets it go.
 * Returns 0, -errno, or -ETIMEDOUT (the write may still happen later). */
static int timed_write(int fd, const char *path, const char *value, size_t len)
{
	int pfd[2], st, rc;
	pid_t pid;
	struct pollfd p;
	struct timespec t0, t1;
	long left;
	char res[sizeof(int)];

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		rc = -errno;
		close(fd);
		close(pfd[0]);
		close(pfd[1]);
		return rc;
	}
	if (pid == 0) {
		ssize_t n;
		int e = 0, null = open("/dev/null", O_RDWR);

		/* only the attribute (3) and the answer (4) stay open */
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		if (dup2(fd, 3) < 0 || dup2(pfd[1], 4) < 0)
			_exit(127);
		for (int i = 5; i < 1024; i++)
			close(i);
#ifdef PT_TEST_FAULTS
		/* PASSTHRU_HANG_WRITE=PATH-SUFFIX: a write there never finishes */
		const char *hang = getenv("PASSTHRU_HANG_WRITE");
		size_t hl = hang ? strlen(hang) : 0, pl = strlen(path);

		if (hl && pl >= hl && strcmp(path + pl - hl, hang) == 0)
			for (;;)
				pause();
#else
		(void)path;
#endif
		do
			n = write(3, value, len);
		while (n < 0 && errno == EINTR);
		e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
		if (close(3) < 0 && e == 0)
			e = errno;
		if (write(4, &e, sizeof(e)) < 0)
			_exit(126);
		_exit(0);
	}
	close(fd);
	close(pfd[1]);
	p.fd = pfd[0];
	p.events = POLLIN;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	left = (long)write_timeout() * 1000;
	for (;;) {
		int r = poll(&p, 1, (int)left);

		if (r > 0)
			break;
		if (r < 0 && errno != EINTR)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = (long)write_timeout() * 1000 - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (r == 0 || left <= 0) {
			/* abandoned: it dies when (if) the kernel returns */
			kill(pid, SIGKILL);
			close(pfd[0]);
			waitpid(pid, &st, WNOHANG);
			pt_debug("write %s: no answer in %d s", path, write_timeout());
			return -ETIMEDOUT;
		}
	}
	rc = read(pfd[0], res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : -EIO;
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc == 0) {
		int e;

		memcpy(&e, res, sizeof(e));
		rc = -e;
	}
	return rc;
}

int pt_write_attr(const char *value, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	size_t len = strlen(value);
	ssize_t n;
	int rc, fd;

	if (pt_dry_run || pt_verbose) {
		/* one line per write: a newline in the value (clearing an attribute) shows as \n */
		char shown[256];

		pt_one_line(value, shown, sizeof(shown));
		if (pt_dry_run) {
			pt_dry_run_print("write %s %s\n",
				path + strlen(sysroot), shown);
			return 0;
		}
		pt_debug("write %s %s", path, shown);
	}
	pt_fault_point();
#ifdef PT_TEST_FAULTS
	if (fault_due())
		return -EIO;
#endif
	/* O_TRUNC: sysfs ignores it; a fake tree's plain file then holds the value */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write_timeout() > 0)
		return timed_write(fd, path, value, len);
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	rc = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* mkdir -p for the directories above path (a full host path). */
static int make_parents(char *path)
{
	for (char *p = path + strlen(sysroot) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			*p = '/';
			return -e;
		}
		*p = '/';
	}
	return 0;
}

/* Write path as a whole or not at all, and on disk before returning: a
 * temporary file beside it, fsync'd, renamed over it, the directory
 * fsync'd; a crash leaves the old file or the new one, never half. */
static int put_durably(const char *path, const char *content, size_t len, bool newline)
{
	char tmp[PATH_MAX + 8], dir[PATH_MAX];
	int rc = 0, fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, content, len) != (ssize_t)len || (newline && len && write(fd, "\n", 1) != 1) ||
	    fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int pt_put_file(const char *content, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	size_t len = strlen(content);
	int rc;

	if (pt_dry_run) {
		pt_dry_run_print("create %s %s\n", path + strlen(sysroot), content);
		return 0;
	}
	pt_debug("create %s %s", path, content);
	pt_fault_point();
	if ((rc = make_parents(path)) < 0)
		return rc;
	return put_durably(path, content, len, true);
}

int pt_put_file_raw(const char *content, size_t len, const char *fmt, ...)
{
	ROOT_PATH(path, fmt);
	int rc;

	if (pt_dry_run)
		return 0;
	pt_fault_point();
	if ((rc = make_parents(path)) < 0)
		return rc;
	return put_durably(path, content, len, false);
}

int pt_remove_file(const char *fmt, ...)
{
	ROOT_PATH(path, fmt);

	if (access(path, F_OK) < 0)
		return 0;
	if (pt_dry_run) {
		pt_dry_run_print("remove %s\n", path + strlen(sysroot));
		return 0;
	}
	pt_debug("remove %s", path);
	pt_fault_point();
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int lock_fd = -1;

int pt_lock_host(int seconds, long *holder)
{
	int fd = lock_fd;
	char path[PATH_MAX], buf[32];
	int rc;

	if (pt_dry_run || fd >= 0)
		return 0;
	if ((rc = pt_path(path, sizeof(path), "/run/passthru-utils/lock")) < 0)
		return rc;
	if ((rc = make_parents(path)) < 0)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (int tries = 0;; tries++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK || tries >= seconds * 10) {
			ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
			int e = errno == EWOULDBLOCK ? EWOULDBLOCK : errno;

			buf[n > 0 ? n : 0] = '\0';
			if (holder)
				*holder = strtol(buf, NULL, 10);
			close(fd);
			return -e;
		}
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	lock_fd = fd;
	/* the holder's pid, for the message a waiting run prints */
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, strlen(buf), 0) < 0)
		pt_debug("cannot record the lock holder: %s", strerror(errno));
	return 0; /* held until exit, or pt_unlock_host() */
}

void pt_unlock_host(void)
{
	if (lock_fd < 0)
		return;
	close(lock_fd);
	lock_fd = -1;
}

int pt_write_config(const char *bdf, unsigned offset, const void *data, size_t len)
{
	char path[PATH_MAX], hex[3 * 16 + 1] = "";
	const unsigned char *b = data;
	int rc, fd;
	ssize_t n;

	if ((rc = pt_path(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf)) < 0)
		return rc;
	for (size_t i = 0, o = 0; i < len && i < 16; i++)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%s%02x", i ? " " : "", b[i]);
	if (pt_dry_run) {
		pt_dry_run_print("write %s@%#x %s\n",
			path + strlen(sysroot), offset, hex);
		return 0;
	}
	pt_debug("write %s@%#x %s", path, offset, hex);
	pt_fault_point();
#ifdef PT_TEST_FAULTS
	if (fault_due())
		return -EIO;
#endif
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pwrite(fd, data, len, offset);
	rc = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return rc;
}
