/*
 * laocoon verify key|certificate|sigstore MODEL --signature SIG ...: checks an
 * OpenSSF model signing signature (any version the reference wrote, v0.2 to
 * v1.1) and that the model still matches it, file by file.
 *
 * Keyless (sigstore) bundles are verified offline against the trust root
 * given with --trust-config (supply/sigstore.h); without one there is
 * nothing to verify against, since laocoon never goes to the network.
 *
 * Exit status: 0 verified; 1 not verified (bad signature, untrusted chain,
 * failed keyless check, changed/added/missing/renamed files, each named);
 * 2 could not complete (unreadable signature, key, trust root or model; no
 * trust root for a keyless bundle); 64 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "commands.h"
#include "signing_args.h"
#include "supply/modelsign.h"
#include "supply/sigstore.h"

static void verify_usage(FILE *out)
{
	fputs("usage: laocoon verify key MODEL --signature SIG --public-key KEY.pem [options]\n"
	      "       laocoon verify certificate MODEL --signature SIG --certificate-chain CA.pem... [options]\n"
	      "       laocoon verify sigstore MODEL --signature SIG --identity ID --identity-provider URL\n"
	      "                               --trust-config FILE   (offline keyless verification)\n"
	      "\n"
	      "Verifies an OpenSSF model signing signature (Sigstore bundle) and that the model\n"
	      "matches it.  The serialization (files or shards) and the paths the signer ignored\n"
	      "are taken from the signature.\n"
	      "\n"
	      "options:\n"
	      "  --ignore-paths PATH       leave PATH out (repeatable; relative to the cwd)\n"
	      "  --ignore-git-paths        leave the git files out (default); --no-ignore-git-paths\n"
	      "  --allow-symlinks          follow symbolic links in the model (default: refuse)\n"
	      "  --ignore-unsigned-files   only check the files the signature names\n"
	      "  --diff                    list every difference with its digests on stdout\n"
	      "  --jobs N                  hashing threads (default: CPUs)\n"
	      "  --trust-config FILE       sigstore: Sigstore ClientTrustConfig or TrustedRoot JSON (Fulcio\n"
	      "                            CAs, Rekor and CT log keys, TSAs); required: no network is used\n"
	      "  --use-staging             sigstore: refused (the staging root comes from the network)\n"
	      "\n"
	      "exit status: 0 verified, 1 not verified, 2 could not complete, 64 usage error.\n",
	      out);
}

static unsigned char *read_small(const char *path, size_t max, size_t *n, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s is not a regular file of at most %zu bytes", path, max);
		close(fd);
		return NULL;
	}
	unsigned char *buf = malloc((size_t)st.st_size + 1);
	size_t off = 0;
	while (buf && off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	if (!buf || off != (size_t)st.st_size) {
		snprintf(err, errlen, "cannot read %s", path);
		free(buf);
		return NULL;
	}
	*n = off;
	return buf;
}

int lc_cmd_verify(int argc, char **argv)
{
	if (argc >= 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
		verify_usage(stdout);
		return 0;
	}
	if (argc < 1) {
		verify_usage(stderr);
		return LC_EXIT_USAGE;
	}
	const char *mode = argv[0];
	lc_ms_verify_opts vo = {.warn = stderr};
	if (strcmp(mode, "key") == 0) {
		vo.mode = LC_MS_MODE_KEY;
	} else if (strcmp(mode, "certificate") == 0) {
		vo.mode = LC_MS_MODE_CERTIFICATE;
	} else if (strcmp(mode, "sigstore") == 0) {
		vo.mode = LC_MS_MODE_SIGSTORE;
	} else {
		fprintf(stderr, "laocoon verify: unknown verification method '%s' (key, certificate, sigstore)\n",
			mode);
		verify_usage(stderr);
		return LC_EXIT_USAGE;
	}
	/* --use-staging (--use_staging) is the reference's switch to Sigstore's
	 * staging instance, whose trust root comes from the network: noted
	 * here, refused below */
	int staging = 0, nargs = 0;
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (!args)
		return 2;
	for (int i = 1; i < argc; i++) {
		const char *iv = NULL;
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				args[nargs++] = argv[i++];
			break;
		}
		if (sa_opt_is(argv[i], "--use-staging", &iv) && !iv)
			staging = 1;
		else
			args[nargs++] = argv[i];
	}
	sign_args a = {0};
	int rc = sa_parse(nargs, args, &a, "verify");
	if (rc || (staging && vo.mode != LC_MS_MODE_SIGSTORE)) {
		if (!rc) {
			fprintf(stderr, "laocoon verify %s: --use-staging is a sigstore option\n", mode);
			rc = LC_EXIT_USAGE;
		}
		sa_free(&a);
		free(args);
		if (rc == LC_EXIT_USAGE)
			verify_usage(stderr);
		return rc;
	}
	const char *missing = !a.signature ? "--signature"
			      : vo.mode == LC_MS_MODE_KEY && !a.public_key ? "--public-key"
			      : vo.mode == LC_MS_MODE_CERTIFICATE && a.nchain == 0 ? "--certificate-chain"
			      : vo.mode == LC_MS_MODE_SIGSTORE && !a.identity ? "--identity"
			      : vo.mode == LC_MS_MODE_SIGSTORE && !a.issuer ? "--identity-provider"
									      : NULL;
	if (missing || a.private_key || a.signing_cert) {
		fprintf(stderr, "laocoon verify %s: %s\n", mode,
			missing ? "a required option is missing:" : "signing options are not valid here");
		if (missing)
			fprintf(stderr, "  %s\n", missing);
		sa_free(&a);
		free(args);
		verify_usage(stderr);
		return LC_EXIT_USAGE;
	}

	char err[1024] = "";
	lc_ss_trust trust = {0};
	lc_ss_result ssres = {0};
	size_t blen = 0, nign = 0;
	unsigned char *bundle = NULL;
	char **ign = NULL;
	lc_ms_manifest expected = {0}, actual = {0};
	rc = 2;

	bundle = read_small(a.signature, LC_MS_MAX_BUNDLE, &blen, err, sizeof err);
	if (!bundle)
		goto out;
	if (vo.mode == LC_MS_MODE_KEY) {
		vo.public_key = lc_ms_load_public_key(a.public_key, err, sizeof err);
		if (!vo.public_key)
			goto out;
	} else if (vo.mode == LC_MS_MODE_CERTIFICATE) {
		for (size_t i = 0; i < a.nchain; i++)
			if (lc_ms_load_certs(a.chain[i], &vo.trust, err, sizeof err) != 0)
				goto out;
	} else {
		if (staging) {
			snprintf(err, sizeof err, "--use-staging needs the network (the staging trust root is "
						  "fetched with TUF); laocoon verifies offline: pass the staging "
						  "trusted root with --trust-config instead");
			goto out;
		}
		if (!a.trust_config) {
			snprintf(err, sizeof err, "keyless verification needs a trust root and laocoon never goes "
						  "to the network: pass a Sigstore ClientTrustConfig or TrustedRoot "
						  "JSON with --trust-config (e.g. the trusted_root.json of your "
						  "sigstore client's TUF cache)");
			goto out;
		}
		size_t tlen = 0;
		unsigned char *tj = read_small(a.trust_config, LC_SS_MAX_TRUST_CONFIG, &tlen, err, sizeof err);
		if (!tj)
			goto out;
		char terr[900] = "";
		int tr = lc_ss_trust_load(tj, tlen, &trust, terr, sizeof terr);
		free(tj);
		if (tr != LC_MS_OK) {
			snprintf(err, sizeof err, "%s: %s", a.trust_config, terr);
			goto out;
		}
		vo.sigstore_trust = &trust;
		vo.identity = a.identity;
		vo.issuer = a.issuer;
		vo.sigstore_result = &ssres;
	}
	int v = lc_ms_verify_bundle(bundle, blen, &vo, &expected, err, sizeof err);
	if (v != LC_MS_OK) {
		rc = v == LC_MS_REJECT ? 1 : 2;
		goto out;
	}
	/* Hash the local model the way the signature says it was hashed, leaving
	 * out what the signer left out (v1.1 records it) plus the caller's own
	 * ignores, the signature file and, by default, the git files. */
	ign = sa_ignore_list(&a, a.signature, expected.ignore_paths, expected.nignore, &nign);
	if (!ign) {
		snprintf(err, sizeof err, "cannot resolve the ignored paths");
		goto out;
	}
	lc_ms_hash_opts ho = {.method = expected.method, .shard_size = expected.shard_size,
			      .allow_symlinks = a.allow_symlinks, .ignore = ign, .nignore = nign, .threads = a.jobs,
			      .only = a.ignore_unsigned ? &expected : NULL};
	int h = lc_ms_hash_model(a.model, &ho, &actual, err, sizeof err);
	if (h != LC_MS_OK) {
		rc = h == LC_MS_REJECT ? 1 : 2;
		goto out;
	}
	size_t diffs = lc_ms_compare(&expected, &actual, NULL, 0);
	if (diffs) {
		snprintf(err, sizeof err, "the model does not match its signature (%zu difference%s):", diffs,
			 diffs == 1 ? "" : "s");
		fprintf(stderr, "laocoon verify: not verified: %s\n", err);
		lc_ms_compare(&expected, &actual, stderr, 0);
		if (a.diff)
			lc_ms_compare(&expected, &actual, stdout, 1);
		err[0] = 0;
		rc = 1;
		goto out;
	}
	if (vo.mode == LC_MS_MODE_SIGSTORE) {
		time_t it = (time_t)ssres.integrated_time;
		struct tm tm;
		char when[40] = "?";
		if (gmtime_r(&it, &tm))
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("laocoon: keyless signature by %s (issuer %s), logged in Rekor at index %lld on %s%s\n",
		       ssres.identity, ssres.issuer, (long long)ssres.log_index, when,
		       ssres.ntsa ? " (and RFC 3161 timestamped)" : "");
	}
	unsigned char root[32];
	lc_ms_root_digest(&expected, root);
	printf("laocoon: verified %s: %zu %s match%s the signature", a.model, expected.nitems,
	       expected.method == LC_MS_SHARDS ? (expected.nitems == 1 ? "shard" : "shards")
					       : (expected.nitems == 1 ? "file" : "files"),
	       expected.nitems == 1 ? "es" : "");
	if (!expected.v02) {
		printf(" (root sha256:");
		for (int i = 0; i < 32; i++)
			printf("%02x", root[i]);
		printf(")");
	}
	printf("\n");
	rc = 0;
out:
	if (rc && err[0])
		fprintf(stderr, "laocoon verify: %s%s\n", rc == 1 ? "not verified: " : "", err);
	free(bundle);
	sa_free_list(ign, nign);
	lc_ms_manifest_free(&expected);
	lc_ms_manifest_free(&actual);
	EVP_PKEY_free(vo.public_key);
	sk_X509_pop_free(vo.trust, X509_free);
	lc_ss_trust_free(&trust);
	sa_free(&a);
	free(args);
	return rc;
}
