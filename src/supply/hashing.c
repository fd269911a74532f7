/*
 * Parallel SHA-256 over files and shards.  See hashing.h.
 *
 * Why it is built this way:
 *  - SHA-256 of one stream is sequential, so the parallelism is over jobs
 *    (files, or shards of a file).  Jobs are taken largest first from a
 *    shared atomic counter (LPT scheduling): the big files start at once and
 *    the small ones fill the gaps, so no core idles at the end.
 *  - The bytes are read with pread() into a per-thread buffer small enough to
 *    stay in the L2 cache, so SHA-256 reads it from L2.  mmap avoids the copy
 *    but pays a page fault per 64 KiB and dies with SIGBUS when a file shrinks
 *    under it; measured on a warm cache the two are within a few per cent
 *    (docs/benchmarks.md), and pread() cannot crash, so pread() it is.
 *  - One EVP_MD fetched once (OpenSSL 3 implicit fetches cost a lock and a
 *    lookup per init), one EVP_MD_CTX per thread, reused.
 */
#include "supply/hashing.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* 256 KiB: half of a typical L2, large enough that the syscall cost is noise. */
#define LC_HASH_BUF (256u * 1024u)

typedef struct {
	lc_hash_job *jobs;
	size_t *order;
	size_t n;
	atomic_size_t next;
	EVP_MD *md;
} pool;

unsigned lc_hash_default_threads(void)
{
	long c = sysconf(_SC_NPROCESSORS_ONLN);
	if (c < 1)
		return 1;
	if (c > 256)
		return 256;
	return (unsigned)c;
}

void lc_sha256(const void *data, size_t n, unsigned char md[LC_SHA256_LEN])
{
	unsigned int len = LC_SHA256_LEN;
	if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1)
		memset(md, 0, LC_SHA256_LEN); /* never reached with the default provider */
}

/* Reads [start, end) (or [start, EOF) when whole) and hashes it. */
static int hash_fd(int fd, lc_hash_job *j, EVP_MD_CTX *ctx, const EVP_MD *md, unsigned char *buf)
{
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
		return ENOMEM;
	uint64_t off = j->start;
	for (;;) {
		size_t want = LC_HASH_BUF;
		if (!j->whole) {
			if (off >= j->end)
				break;
			if (j->end - off < want)
				want = (size_t)(j->end - off);
		}
		ssize_t r = pread(fd, buf, want, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (r == 0) {
			if (j->whole)
				break;
			return EIO; /* the file is shorter than the shard: it changed */
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1)
			return ENOMEM;
		off += (uint64_t)r;
	}
	unsigned int len = LC_SHA256_LEN;
	if (EVP_DigestFinal_ex(ctx, j->md, &len) != 1)
		return ENOMEM;
	j->hashed = off - j->start;
	return 0;
}

static void run_job(lc_hash_job *j, EVP_MD_CTX *ctx, const EVP_MD *md, unsigned char *buf)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | (j->follow ? 0 : O_NOFOLLOW);
	int fd = open(j->path, flags);
	if (fd < 0) {
		j->err = errno;
		return;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		j->err = errno;
	} else if (!S_ISREG(st.st_mode)) {
		/* a FIFO or device swapped in after the walk: never block on it */
		j->err = EINVAL;
	} else {
		if (j->whole || j->end - j->start > 4 * LC_HASH_BUF)
			(void)posix_fadvise(fd, (off_t)j->start, 0, POSIX_FADV_SEQUENTIAL);
		j->err = hash_fd(fd, j, ctx, md, buf);
	}
	close(fd);
}

static void *worker(void *arg)
{
	pool *p = arg;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(LC_HASH_BUF);
	for (;;) {
		size_t k = atomic_fetch_add(&p->next, 1);
		if (k >= p->n)
			break;
		lc_hash_job *j = &p->jobs[p->order[k]];
		if (!ctx || !buf)
			j->err = ENOMEM;
		else
			run_job(j, ctx, p->md, buf);
	}
	free(buf);
	EVP_MD_CTX_free(ctx);
	return NULL;
}

static lc_hash_job *sort_jobs; /* qsort has no context argument in C11 */

static uint64_t job_size(const lc_hash_job *j) { return j->end > j->start ? j->end - j->start : 0; }

static int by_size_desc(const void *a, const void *b)
{
	uint64_t x = job_size(&sort_jobs[*(const size_t *)a]);
	uint64_t y = job_size(&sort_jobs[*(const size_t *)b]);
	if (x != y)
		return x > y ? -1 : 1;
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	return i < k ? -1 : i > k;
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

int lc_hash_run(lc_hash_job *jobs, size_t n, unsigned threads)
{
	if (n == 0)
		return 0;
	if (threads == 0)
		threads = lc_hash_default_threads();
	if (threads > n)
		threads = (unsigned)n;
	pool p = {.jobs = jobs, .n = n};
	atomic_init(&p.next, 0);
	p.order = malloc(n * sizeof *p.order);
	p.md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!p.order || !p.md) {
		free(p.order);
		EVP_MD_free(p.md);
		for (size_t i = 0; i < n; i++)
			jobs[i].err = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		p.order[i] = i;
		jobs[i].err = 0;
		jobs[i].hashed = 0;
	}
	pthread_mutex_lock(&sort_lock);
	sort_jobs = jobs;
	qsort(p.order, n, sizeof *p.order, by_size_desc);
	sort_jobs = NULL;
	pthread_mutex_unlock(&sort_lock);

	pthread_t *tid = calloc(threads, sizeof *tid);
	unsigned started = 0;
	if (tid) {
		for (unsigned t = 1; t < threads; t++) {
			if (pthread_create(&tid[t], NULL, worker, &p) != 0)
				break;
			started = t;
		}
	}
	worker(&p); /* the calling thread works too */
	for (unsigned t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	free(tid);
	free(p.order);
	EVP_MD_free(p.md);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].err)
			return -1;
	return 0;
}
