/*
 * Options shared by `laocoon sign` and `laocoon verify`.  They follow the
 * reference CLI (model_signing) so that scripts can switch: both spellings
 * --private-key and --private_key are accepted, values may be given as
 * "--opt VALUE" or "--opt=VALUE", and repeatable options (--ignore-paths,
 * --certificate-chain) take one value each time.
 */
#ifndef LC_CLI_SIGNING_ARGS_H
#define LC_CLI_SIGNING_ARGS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply/modelsign.h"

typedef struct sign_args {
	const char *mode;  /* key, certificate, sigstore */
	const char *model; /* MODEL_PATH */
	const char *signature;
	const char *private_key, *password, *signing_cert, *public_key;
	const char *identity, *issuer, *trust_config;
	const char **chain;
	size_t nchain;
	const char **ignore;
	size_t nignore;
	int ignore_git, allow_symlinks, ignore_unsigned, diff;
	unsigned jobs;
	lc_ms_method method;
	uint64_t shard_size;
} sign_args;

/* "--private_key=x" matches "--private-key": '_' and '-' are the same. */
static inline int sa_opt_is(const char *arg, const char *name, const char **inline_value)
{
	size_t i = 0;
	for (; name[i]; i++) {
		char c = arg[i] == '_' ? '-' : arg[i];
		if (c != name[i])
			return 0;
	}
	if (arg[i] == '=') {
		*inline_value = arg + i + 1;
		return 1;
	}
	if (arg[i] == 0) {
		*inline_value = NULL;
		return 1;
	}
	return 0;
}

/* Parses argv (after the mode word).  Returns 0, or 64 after printing why. */
static inline int sa_parse(int argc, char **argv, sign_args *a, const char *cmd)
{
	a->ignore_git = 1;
	a->method = LC_MS_FILES;
	a->shard_size = LC_MS_DEFAULT_SHARD_SIZE;
	a->ignore = calloc((size_t)argc + 1, sizeof *a->ignore);
	a->chain = calloc((size_t)argc + 1, sizeof *a->chain);
	if (!a->ignore || !a->chain)
		return 2;
	static const struct {
		const char *name;
		size_t off; /* offsetof a const char * member, or (size_t)-1 for lists */
	} valued[] = {
	    {"--signature", offsetof(sign_args, signature)},
	    {"--private-key", offsetof(sign_args, private_key)},
	    {"--password", offsetof(sign_args, password)},
	    {"--signing-certificate", offsetof(sign_args, signing_cert)},
	    {"--public-key", offsetof(sign_args, public_key)},
	    {"--identity", offsetof(sign_args, identity)},
	    {"--identity-provider", offsetof(sign_args, issuer)},
	    {"--trust-config", offsetof(sign_args, trust_config)},
	};
	int only_paths = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *v = NULL;
		if (only_paths || arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (a->model) {
				fprintf(stderr, "laocoon %s: one MODEL_PATH only (got '%s' too)\n", cmd, arg);
				return 64;
			}
			a->model = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_paths = 1;
			continue;
		}
		int done = 0;
		for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !done; k++) {
			if (!sa_opt_is(arg, valued[k].name, &v))
				continue;
			if (!v) {
				if (i + 1 >= argc) {
					fprintf(stderr, "laocoon %s: %s needs a value\n", cmd, valued[k].name);
					return 64;
				}
				v = argv[++i];
			}
			*(const char **)((char *)a + valued[k].off) = v;
			done = 1;
		}
		if (done)
			continue;
		if (sa_opt_is(arg, "--ignore-paths", &v) || sa_opt_is(arg, "--certificate-chain", &v) ||
		    sa_opt_is(arg, "--method", &v) || sa_opt_is(arg, "--shard-size", &v) || sa_opt_is(arg, "--jobs", &v)) {
			const char *name = arg;
			if (!v) {
				if (i + 1 >= argc) {
					fprintf(stderr, "laocoon %s: %s needs a value\n", cmd, arg);
					return 64;
				}
				v = argv[++i];
			}
			const char *dummy;
			if (sa_opt_is(name, "--ignore-paths", &dummy)) {
				a->ignore[a->nignore++] = v;
			} else if (sa_opt_is(name, "--certificate-chain", &dummy)) {
				a->chain[a->nchain++] = v;
			} else if (sa_opt_is(name, "--method", &dummy)) {
				if (strcmp(v, "files") == 0) {
					a->method = LC_MS_FILES;
				} else if (strcmp(v, "shards") == 0) {
					a->method = LC_MS_SHARDS;
				} else {
					fprintf(stderr, "laocoon %s: --method is files or shards\n", cmd);
					return 64;
				}
			} else {
				char *end;
				errno = 0;
				unsigned long long n = strtoull(v, &end, 10);
				int jobs = sa_opt_is(name, "--jobs", &dummy);
				if (errno || *end || v[0] == '-' || n == 0 || (jobs && n > 256) ||
				    (!jobs && n > 1000000000000000ull)) {
					fprintf(stderr, "laocoon %s: %s takes a positive number%s\n", cmd,
						jobs ? "--jobs" : "--shard-size", jobs ? " up to 256" : " up to 1e15");
					return 64;
				}
				if (jobs)
					a->jobs = (unsigned)n;
				else
					a->shard_size = n;
			}
			continue;
		}
		if (sa_opt_is(arg, "--ignore-git-paths", &v) && !v)
			a->ignore_git = 1;
		else if (sa_opt_is(arg, "--no-ignore-git-paths", &v) && !v)
			a->ignore_git = 0;
		else if (sa_opt_is(arg, "--allow-symlinks", &v) && !v)
			a->allow_symlinks = 1;
		else if (sa_opt_is(arg, "--ignore-unsigned-files", &v) && !v)
			a->ignore_unsigned = 1;
		else if (sa_opt_is(arg, "--no-ignore-unsigned-files", &v) && !v)
			a->ignore_unsigned = 0;
		else if (sa_opt_is(arg, "--diff", &v) && !v)
			a->diff = 1;
		else {
			fprintf(stderr, "laocoon %s: unknown option '%s'\n", cmd, arg);
			return 64;
		}
	}
	if (!a->model) {
		fprintf(stderr, "laocoon %s: MODEL_PATH is required\n", cmd);
		return 64;
	}
	return 0;
}

static inline void sa_free(sign_args *a)
{
	free(a->ignore);
	free(a->chain);
}

/* The ignore list handed to the hasher: the user's paths and the signature
 * file, each kept only when it lies inside the model (as the reference's
 * _resolve_ignore_paths), then the git names.  Returns a NULL-terminated
 * vector of owned strings, or NULL on error. */
static inline char **sa_ignore_list(const sign_args *a, const char *signature, char *const *extra, size_t nextra,
				    size_t *n)
{
	static const char *const git[] = {".git", ".gitattributes", ".github", ".gitignore"};
	size_t cap = a->nignore + 1 + 4 + nextra + 1;
	char **v = calloc(cap, sizeof *v);
	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i <= a->nignore; i++) {
		const char *p = i < a->nignore ? a->ignore[i] : signature;
		char *rel = NULL;
		if (!p)
			continue;
		int r = lc_ms_ignore_relative(a->model, p, &rel);
		if (r < 0)
			goto fail;
		if (r == 1)
			v[(*n)++] = rel;
	}
	for (size_t i = 0; a->ignore_git && i < 4; i++)
		if (!(v[(*n)++] = strdup(git[i])))
			goto fail;
	for (size_t i = 0; i < nextra; i++)
		if (!(v[(*n)++] = strdup(extra[i])))
			goto fail;
	return v;
fail:
	for (size_t i = 0; i < cap; i++)
		free(v[i]);
	free(v);
	return NULL;
}

static inline void sa_free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

#endif
