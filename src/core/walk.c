/*
 * Paths: walks directories without following symbolic links, maps each
 * regular file read-only and scans the files in parallel.
 *
 * Symbolic links met during a walk are reported, never followed: a model
 * directory whose link points outside it would make a loader read files the
 * publisher never shipped.  A path named on the command line is followed
 * (the user asked for it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lc.h"

typedef struct walk_item {
	char *path;
	int is_link; /* a symbolic link met inside the walk: report, do not follow */
} walk_item;

typedef struct walk_list {
	walk_item *items;
	size_t n, cap;
	int oom;
} walk_list;

static void list_add(walk_list *l, char *path, int is_link)
{
	if (!path) {
		l->oom = 1;
		return;
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		walk_item *ni = realloc(l->items, ncap * sizeof *ni);
		if (!ni) {
			free(path);
			l->oom = 1;
			return;
		}
		l->items = ni;
		l->cap = ncap;
	}
	l->items[l->n].path = path;
	l->items[l->n].is_link = is_link;
	l->n++;
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const walk_item *)a)->path, ((const walk_item *)b)->path);
}

typedef struct dir_frame {
	char *path;
	unsigned depth;
} dir_frame;

/* Iterative walk with an explicit stack: depth is bounded by walk_depth and
 * the number of entries by max_files. */
static lc_err walk_dir(const lc_limits *lim, const char *root, walk_list *out, char *err, size_t errlen)
{
	dir_frame *stack = malloc(sizeof *stack * 16);
	size_t sp = 0, scap = 16;
	lc_err status = LC_OK;
	if (!stack)
		return LC_E_NOMEM;
	stack[sp].path = strdup(root);
	stack[sp++].depth = 0;
	while (sp > 0) {
		dir_frame fr = stack[--sp];
		DIR *d = fr.path ? opendir(fr.path) : NULL;
		if (!d) {
			list_add(out, lc_strdup_printf("%s", fr.path ? fr.path : root), 2);
			free(fr.path);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (out->n >= lim->max_files) {
				snprintf(err, errlen, "limit max_files=%llu files reached while walking %s",
					 (unsigned long long)lim->max_files, root);
				status = LC_E_LIMIT;
				break;
			}
			size_t plen = strlen(fr.path);
			/* "dir/" given on the command line: no doubled slash. */
			char *child = lc_strdup_printf("%s%s%s", fr.path,
						       plen && fr.path[plen - 1] == '/' ? "" : "/", de->d_name);
			struct stat st;
			if (!child || lstat(child, &st) != 0) {
				list_add(out, child, 0);
				continue;
			}
			if (S_ISLNK(st.st_mode)) {
				list_add(out, child, 1);
			} else if (S_ISDIR(st.st_mode)) {
				if (fr.depth + 1 > lim->walk_depth) {
					snprintf(err, errlen, "limit walk_depth=%llu levels reached at %s",
						 (unsigned long long)lim->walk_depth, child);
					free(child);
					status = LC_E_LIMIT;
					continue;
				}
				if (sp == scap) {
					dir_frame *ns = realloc(stack, sizeof *ns * scap * 2);
					if (!ns) {
						free(child);
						status = LC_E_NOMEM;
						continue;
					}
					stack = ns;
					scap *= 2;
				}
				stack[sp].path = child;
				stack[sp++].depth = fr.depth + 1;
			} else {
				list_add(out, child, 0);
			}
		}
		closedir(d);
		free(fr.path);
		if (status == LC_E_LIMIT && out->n >= lim->max_files)
			break;
	}
	while (sp > 0)
		free(stack[--sp].path);
	free(stack);
	return out->oom ? LC_E_NOMEM : status;
}

/* Is target (resolved) inside root (resolved)? */
static int path_inside(const char *root_real, const char *target_real)
{
	size_t n = strlen(root_real);
	if (strncmp(root_real, target_real, n) != 0)
		return 0;
	return target_real[n] == '\0' || target_real[n] == '/' || (n == 1 && root_real[0] == '/');
}

static void scan_symlink(const lc_limits *lim, lc_file_result *f, const char *root_real)
{
	char target[PATH_MAX];
	ssize_t n = readlink(f->path, target, sizeof target - 1);
	f->format = "symlink";
	f->status = LC_STATUS_SKIPPED;
	if (n < 0) {
		f->error = lc_strdup_printf("symbolic link could not be read: %s", strerror(errno));
		return;
	}
	target[n] = '\0';
	char *real = realpath(f->path, NULL);
	int inside = real && root_real && path_inside(root_real, real);
	lc_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.lim = lim;
	ctx.file = f;
	if (inside) {
		f->error = lc_strdup_printf("symbolic link to %s (inside the scanned folder; scanned there)", target);
		lc_finding_add(&ctx, LC_SEV_INFO, "fs.symlink", LC_NO_OFFSET, NULL, target,
			       "symbolic link to %s inside the scanned folder; not followed", target);
	} else {
		f->error = lc_strdup_printf("symbolic link to %s, outside the scanned folder: not followed",
					    target);
		lc_finding_add(&ctx, LC_SEV_MEDIUM, "fs.symlink-escape", LC_NO_OFFSET, NULL, target,
			       "symbolic link to %s %s: a loader following it reads a file that was not "
			       "shipped with the model",
			       target, real ? "points outside the scanned folder" : "is dangling");
	}
	lc_ctx_release(&ctx);
	free(real);
}

static void file_error(lc_file_result *f, lc_err code, const char *what, const char *detail)
{
	f->status = LC_STATUS_ERROR;
	f->error_code = code;
	f->format = "unknown";
	f->error = lc_strdup_printf("%s: %s", what, detail);
}

/* Maps one regular file read-only and scans it.  The mapping is private and
 * never written; readers touch only the pages they parse, so tensor payloads
 * are never read from disk. */
static void scan_regular(const lc_scan_options *opt, lc_file_result *f)
{
	const lc_limits *lim = &opt->limits;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		file_error(f, LC_E_IO, "cannot open", strerror(errno));
		return;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		file_error(f, LC_E_IO, "cannot stat", strerror(errno));
		close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		/* FIFOs, devices and sockets are not model files, and reading one
		 * could block forever. */
		f->status = LC_STATUS_SKIPPED;
		f->format = "special";
		f->error = strdup("not a regular file (device, FIFO or socket): not read");
		close(fd);
		return;
	}
	f->size = (uint64_t)st.st_size;
	if ((uint64_t)st.st_size > lim->max_file_size) {
		f->status = LC_STATUS_ERROR;
		f->error_code = LC_E_LIMIT;
		f->format = "unknown";
		f->limit = "max_file_size";
		f->error = lc_strdup_printf("limit max_file_size=%llu bytes reached: file is %llu bytes",
					    (unsigned long long)lim->max_file_size,
					    (unsigned long long)st.st_size);
		close(fd);
		return;
	}
	if (st.st_size == 0) {
		close(fd);
		lc_scan_file_view(opt, f, (const uint8_t *)"", 0, 0);
		return;
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		file_error(f, LC_E_IO, "cannot map", strerror(errno));
		return;
	}
	lc_scan_file_view(opt, f, map, (size_t)st.st_size, 1);
	if (f->keep_map) {
		/* a kept graph points into the mapping: it lives with the result */
		f->map = map;
		f->map_len = (size_t)st.st_size;
	} else {
		munmap(map, (size_t)st.st_size);
	}
}

typedef struct pool {
	const lc_scan_options *opt;
	const lc_limits *lim;
	walk_item *items;
	lc_file_result *results;
	size_t n;
	size_t next;
	pthread_mutex_t mu;
	const char *root_real;
} pool;

static void scan_item(pool *p, size_t i)
{
	lc_file_result *f = &p->results[i];
	f->path = p->items[i].path;
	p->items[i].path = NULL;
	if (p->items[i].is_link == 1)
		scan_symlink(p->lim, f, p->root_real);
	else if (p->items[i].is_link == 2)
		file_error(f, LC_E_IO, "cannot open directory", strerror(EACCES));
	else
		scan_regular(p->opt, f);
}

static void *worker(void *arg)
{
	pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		scan_item(p, i);
	}
}

static unsigned cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

lc_err lc_scan_path(const lc_scan_options *opt, const char *path, lc_result *out)
{
	const lc_limits *lim = &opt->limits;
	struct stat st;
	if (stat(path, &st) != 0) {
		lc_file_result *f = lc_result_push(out);
		if (!f)
			return LC_E_NOMEM;
		f->path = strdup(path);
		file_error(f, LC_E_IO, "cannot open", strerror(errno));
		return LC_E_IO;
	}
	walk_list list = {0};
	char werr[512] = "";
	lc_err werr_code = LC_OK;
	char *root_real = NULL;
	if (S_ISDIR(st.st_mode)) {
		root_real = realpath(path, NULL);
		werr_code = walk_dir(lim, path, &list, werr, sizeof werr);
		qsort(list.items, list.n, sizeof *list.items, item_cmp);
	} else {
		list_add(&list, strdup(path), 0);
	}
	if (list.oom) {
		for (size_t i = 0; i < list.n; i++)
			free(list.items[i].path);
		free(list.items);
		free(root_real);
		return LC_E_NOMEM;
	}

	size_t base = out->nfiles;
	for (size_t i = 0; i < list.n; i++) {
		if (!lc_result_push(out)) {
			out->nfiles = base + i;
			werr_code = LC_E_NOMEM;
			list.n = i;
			break;
		}
	}
	pool p = {.opt = opt, .lim = lim, .items = list.items, .results = out->files + base, .n = list.n, .next = 0,
		  .root_real = root_real};
	pthread_mutex_init(&p.mu, NULL);
	unsigned jobs = opt->jobs ? opt->jobs : cpu_count();
	if (jobs > 64)
		jobs = 64;
	if (jobs > list.n)
		jobs = (unsigned)list.n;
	pthread_t tids[64];
	unsigned started = 0;
	for (unsigned j = 1; j < jobs; j++) {
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;
	}
	worker(&p); /* the calling thread works too */
	for (unsigned j = 0; j < started; j++)
		pthread_join(tids[j], NULL);
	pthread_mutex_destroy(&p.mu);
	free(list.items);
	free(root_real);

	if (werr_code != LC_OK) {
		/* A walk that stopped early leaves files unscanned: say so as an
		 * error entry for the directory itself, never as "clean". */
		lc_file_result *f = lc_result_push(out);
		if (!f)
			return LC_E_NOMEM;
		f->path = strdup(path);
		f->format = "directory";
		f->status = LC_STATUS_ERROR;
		f->error_code = werr_code;
		if (werr_code == LC_E_LIMIT)
			f->limit = strstr(werr, "walk_depth") ? "walk_depth" : "max_files";
		f->error = strdup(werr[0] ? werr : "directory walk failed");
	}
	return werr_code;
}
