/*
 * Parallel SHA-256 of files and file ranges (model signing).
 *
 * A job is one byte range of one file: a whole file (serialization "files")
 * or one shard (serialization "shards").  lc_hash_run() spreads the jobs over
 * a pool of threads, largest first, so that a few big files and many small
 * ones still keep every core busy to the end.  Reading is mmap over the page
 * cache (no copy) with a pread() fallback; hashing is OpenSSL EVP SHA-256
 * (SHA-NI where the CPU has it).
 */
#ifndef LC_SUPPLY_HASHING_H
#define LC_SUPPLY_HASHING_H

#include <stddef.h>
#include <stdint.h>

#define LC_SHA256_LEN 32

typedef struct lc_hash_job {
	const char *path; /* file to open (absolute, or relative to the cwd) */
	uint64_t start;   /* first byte hashed */
	uint64_t end;     /* one past the last byte; for whole, the size seen
	                   * by the walk (only a scheduling hint) */
	int whole;        /* 1: hash from 0 to end of file (files mode) */
	int follow;       /* 1: symlinks allowed (open follows them) */
	unsigned char md[LC_SHA256_LEN];
	uint64_t hashed; /* bytes actually hashed */
	int err;         /* 0, or an errno value (EIO for a short file) */
} lc_hash_job;

/* Threads to use when the caller does not say: the online CPUs (1..256). */
unsigned lc_hash_default_threads(void);

/* Hashes every job; returns 0 when all succeeded, else -1 (see each err).
 * threads 0 means lc_hash_default_threads(). */
int lc_hash_run(lc_hash_job *jobs, size_t n, unsigned threads);

/* One-shot SHA-256 of a buffer. */
void lc_sha256(const void *data, size_t n, unsigned char md[LC_SHA256_LEN]);

#endif
