/*
 * laocoon sign key|certificate MODEL ...: writes an OpenSSF model signing
 * v1.0 signature (a Sigstore bundle) that the reference tool verifies.
 *
 * Exit status: 0 signed, 2 could not sign (unreadable key or model, a model
 * the rules refuse), 64 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "commands.h"
#include "signing_args.h"
#include "supply/modelsign.h"

static void sign_usage(FILE *out)
{
	fputs("usage: laocoon sign key MODEL --private-key KEY.pem [options]\n"
	      "       laocoon sign certificate MODEL --private-key KEY.pem --signing-certificate CERT.pem\n"
	      "                                [--certificate-chain CA.pem]... [options]\n"
	      "\n"
	      "Signs a model (a file or a directory) with OpenSSF model signing v1.0: an in-toto\n"
	      "statement of every file's SHA-256 in a DSSE envelope inside a Sigstore bundle.\n"
	      "Keys are elliptic curve P-256, P-384 or P-521 (PEM).\n"
	      "\n"
	      "options:\n"
	      "  --signature FILE          where to write the signature (default model.sig)\n"
	      "  --password PW             password of an encrypted private key\n"
	      "  --ignore-paths PATH       leave PATH out (repeatable; relative to the cwd)\n"
	      "  --ignore-git-paths        leave .git, .gitattributes, .github, .gitignore out\n"
	      "                            (default); --no-ignore-git-paths signs them\n"
	      "  --allow-symlinks          hash the targets of symbolic links (default: refuse)\n"
	      "  --method files|shards     one digest per file (default) or per shard\n"
	      "  --shard-size N            shard size in bytes (default 1000000000)\n"
	      "  --jobs N                  hashing threads (default: CPUs)\n"
	      "\n"
	      "exit status: 0 signed, 2 could not sign, 64 usage error.\n",
	      out);
}

/* Write to a temporary file beside the target, then rename: a crash never
 * leaves a truncated signature behind. */
static int write_atomic(const char *path, const char *data, size_t n)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + 16);
	if (!tmp)
		return -1;
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp.XXXXXX", 12);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	size_t off = 0;
	int ok = 1;
	while (ok && off < n) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ok = 0;
		else
			off += (size_t)w;
	}
	if (fchmod(fd, 0644) != 0)
		ok = 0;
	if (close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok ? 0 : -1;
}

int lc_cmd_sign(int argc, char **argv)
{
	if (argc >= 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
		sign_usage(stdout);
		return 0;
	}
	if (argc < 1) {
		sign_usage(stderr);
		return LC_EXIT_USAGE;
	}
	const char *mode = argv[0];
	if (strcmp(mode, "sigstore") == 0 || strcmp(mode, "pkcs11-key") == 0 ||
	    strcmp(mode, "pkcs11-certificate") == 0) {
		fprintf(stderr, "laocoon sign: not supported: %s signing (laocoon signs offline with key or "
				"certificate)\n", mode);
		return 2;
	}
	if (strcmp(mode, "key") != 0 && strcmp(mode, "certificate") != 0) {
		fprintf(stderr, "laocoon sign: unknown signing method '%s' (key or certificate)\n", mode);
		sign_usage(stderr);
		return LC_EXIT_USAGE;
	}
	sign_args a = {0};
	int rc = sa_parse(argc - 1, argv + 1, &a, "sign");
	if (rc) {
		sa_free(&a);
		if (rc == LC_EXIT_USAGE)
			sign_usage(stderr);
		return rc;
	}
	int cert_mode = strcmp(mode, "certificate") == 0;
	if (!a.private_key || (cert_mode && !a.signing_cert) || a.public_key || a.identity || a.diff) {
		fprintf(stderr, "laocoon sign %s: %s\n", mode,
			!a.private_key ? "--private-key is required"
			: (cert_mode && !a.signing_cert) ? "--signing-certificate is required"
							 : "option not valid when signing");
		sa_free(&a);
		sign_usage(stderr);
		return LC_EXIT_USAGE;
	}
	if (!cert_mode && (a.signing_cert || a.nchain)) {
		fprintf(stderr, "laocoon sign key: certificates need `laocoon sign certificate`\n");
		sa_free(&a);
		return LC_EXIT_USAGE;
	}
	const char *sigpath = a.signature ? a.signature : "model.sig";

	char err[512] = "";
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *leafs = NULL, *chain = NULL;
	lc_ms_manifest m = {0};
	char *bundle = NULL;
	size_t nign = 0;
	char **ign = NULL;
	rc = 2;

	key = lc_ms_load_private_key(a.private_key, a.password, err, sizeof err);
	if (!key)
		goto out;
	if (cert_mode) {
		if (lc_ms_load_certs(a.signing_cert, &leafs, err, sizeof err) != 0)
			goto out;
		cert = sk_X509_value(leafs, 0);
		for (size_t i = 0; i < a.nchain; i++)
			if (lc_ms_load_certs(a.chain[i], &chain, err, sizeof err) != 0)
				goto out;
	}
	ign = sa_ignore_list(&a, sigpath, NULL, 0, &nign);
	if (!ign) {
		snprintf(err, sizeof err, "cannot resolve the ignored paths");
		goto out;
	}
	lc_ms_hash_opts ho = {.method = a.method, .shard_size = a.shard_size, .allow_symlinks = a.allow_symlinks,
			      .ignore = ign, .nignore = nign, .threads = a.jobs};
	if (lc_ms_hash_model(a.model, &ho, &m, err, sizeof err) != LC_MS_OK)
		goto out;
	bundle = lc_ms_sign(&m, key, cert, chain, err, sizeof err);
	if (!bundle)
		goto out;
	if (write_atomic(sigpath, bundle, strlen(bundle)) != 0) {
		snprintf(err, sizeof err, "cannot write %s: %s", sigpath, strerror(errno));
		goto out;
	}
	unsigned char root[32];
	lc_ms_root_digest(&m, root);
	printf("laocoon: signed %s (%zu %s, root sha256:", a.model, m.nitems,
	       m.method == LC_MS_SHARDS ? "shards" : "files");
	for (int i = 0; i < 32; i++)
		printf("%02x", root[i]);
	printf(") -> %s\n", sigpath);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "laocoon sign: %s\n", err[0] ? err : "failed");
	free(bundle);
	lc_ms_manifest_free(&m);
	sa_free_list(ign, nign);
	EVP_PKEY_free(key);
	sk_X509_pop_free(leafs, X509_free);
	sk_X509_pop_free(chain, X509_free);
	sa_free(&a);
	return rc;
}
