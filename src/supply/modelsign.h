/*
 * OpenSSF model signing v1.0 (sigstore/model-transparency), written anew in C.
 *
 * A model (one file or a directory) is serialized into a manifest: every
 * regular file (method "files") or every shard of every file (method
 * "shards") with its SHA-256.  The manifest becomes an in-toto Statement v1
 * whose subject is the model name and the root digest (SHA-256 over the raw
 * resource digests in canonical order) and whose predicate
 * (https://model_signing/signature/v1.0) lists the resources and the
 * serialization parameters.  The statement is signed as a DSSE envelope
 * (payloadType application/vnd.in-toto+json, standard PAE) inside a Sigstore
 * bundle v0.3.
 *
 * Verification checks the bundle (key or certificate chain), rebuilds the
 * expected manifest from the signed statement, hashes the local model the way
 * the statement says it was hashed, and compares the two file by file.
 *
 * Every bundle is hostile input: sizes are bounded, JSON types are checked,
 * anything unexpected is a rejection, never a pass.
 */
#ifndef LC_SUPPLY_MODELSIGN_H
#define LC_SUPPLY_MODELSIGN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define LC_MS_BUNDLE_MEDIA_TYPE "application/vnd.dev.sigstore.bundle.v0.3+json"
#define LC_MS_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define LC_MS_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define LC_MS_PREDICATE_TYPE "https://model_signing/signature/v1.0"
#define LC_MS_PREDICATE_TYPE_V02 "https://model_signing/Digests/v0.1"
#define LC_MS_DEFAULT_SHARD_SIZE 1000000000ull /* the reference's default: 1 GB */
#define LC_MS_MAX_BUNDLE (64u << 20)           /* larger signature files are refused */

typedef enum { LC_MS_FILES = 0, LC_MS_SHARDS = 1 } lc_ms_method;

typedef struct lc_ms_item {
	char *path;          /* model-relative POSIX path; "." for a single-file model */
	uint64_t start, end; /* the shard's byte range (shards); 0..size (files) */
	unsigned char digest[32];
} lc_ms_item;

typedef struct lc_ms_manifest {
	char *model_name; /* informative only: never compared */
	lc_ms_method method;
	uint64_t shard_size;
	int allow_symlinks;
	char **ignore_paths; /* recorded in the predicate (model-relative), sorted */
	size_t nignore;
	lc_ms_item *items; /* canonical order: path component-wise, then start */
	size_t nitems;
	size_t cap;
	int v02; /* read from a v0.2 "Digests/v0.1" payload */
} lc_ms_manifest;

typedef struct lc_ms_hash_opts {
	lc_ms_method method;
	uint64_t shard_size; /* shards only */
	int allow_symlinks;
	char *const *ignore; /* model-relative paths, normalized or not */
	size_t nignore;
	unsigned threads; /* 0: one per CPU */
	/* --ignore-unsigned-files: hash only the paths this manifest names */
	const lc_ms_manifest *only;
	/* an empty model is refused (as the current reference does) unless set;
	 * the reference's older golden statements include empty models */
	int allow_empty;
} lc_ms_hash_opts;

/* Return codes of the hashing and verification calls. */
enum {
	LC_MS_OK = 0,
	LC_MS_REJECT = 1,      /* not verified: the signature or model is not right */
	LC_MS_ERROR = 2,       /* could not complete: unreadable input, out of memory */
	LC_MS_UNSUPPORTED = 3, /* a valid form this build cannot check */
};

void lc_ms_manifest_free(lc_ms_manifest *m);

/* Serializes MODEL_PATH.  Returns LC_MS_OK, LC_MS_REJECT for a model the
 * rules refuse (symlink without allow_symlinks, special file, no file left)
 * or LC_MS_ERROR for I/O errors; err says which file. */
int lc_ms_hash_model(const char *model_path, const lc_ms_hash_opts *o, lc_ms_manifest *m, char *err,
		     size_t errlen);

/* The reference's model name: last component of the path, or of its
 * resolved form when that is empty or "..".  Caller frees. */
char *lc_ms_model_name(const char *model_path);

/* CLI --ignore-paths and --signature are relative to the cwd (or absolute);
 * the reference resolves them and keeps those inside the model.  Returns 1
 * with *rel (caller frees) when inside, 0 when outside, -1 on error. */
int lc_ms_ignore_relative(const char *model_path, const char *path, char **rel);

/* Resource name: "path" (files) or "path:start:end" (shards).  Caller frees. */
char *lc_ms_item_name(const lc_ms_manifest *m, const lc_ms_item *it);
/* Resource algorithm: "sha256" or "sha256-sharded-<shard size>". */
void lc_ms_item_algorithm(const lc_ms_manifest *m, char *buf, size_t n);

void lc_ms_root_digest(const lc_ms_manifest *m, unsigned char out[32]);

/* The in-toto statement exactly as the reference writes it (protobuf
 * MessageToJson: two-space indent, no trailing newline).  Caller frees. */
char *lc_ms_statement_json(const lc_ms_manifest *m, size_t *len);

/* Builds the expected manifest from a signed statement (already verified). */
int lc_ms_manifest_from_statement(const unsigned char *payload, size_t n, lc_ms_manifest *m, char *err,
				  size_t errlen);

/* DSSE pre-authentication encoding:
 *   "DSSEv1" SP len(type) SP type SP len(body) SP body
 * and the v0.2 variant (capital V, Python repr() of the body bytes). */
unsigned char *lc_ms_pae(const char *type, const unsigned char *body, size_t n, size_t *outlen);
unsigned char *lc_ms_pae_v02(const char *type, const unsigned char *body, size_t n, size_t *outlen);

/* Standard base64 (RFC 4648, padded).  Decoding also takes the URL-safe
 * alphabet and missing padding (protobuf JSON does) and nothing else. */
char *lc_ms_b64_encode(const unsigned char *data, size_t n);
int lc_ms_b64_decode(const char *s, size_t slen, unsigned char **out, size_t *outlen);

/* Key and certificate loading.  PEM files may carry text before the PEM
 * block (certtool writes one); public keys may also be DER.  NULL + err on
 * failure. */
EVP_PKEY *lc_ms_load_private_key(const char *path, const char *password, char *err, size_t errlen);
EVP_PKEY *lc_ms_load_public_key(const char *path, char *err, size_t errlen);
/* Appends every certificate of the PEM file to *certs (created if NULL). */
int lc_ms_load_certs(const char *path, STACK_OF(X509) **certs, char *err, size_t errlen);

/* The reference's public key hint: hex SHA-256 of the PEM SubjectPublicKeyInfo. */
int lc_ms_key_hint(EVP_PKEY *pub, char hex[65]);

/* Signs the manifest: returns the bundle JSON (caller frees) or NULL + err.
 * With cert, the bundle carries an x509CertificateChain of cert + chain;
 * without, a publicKey hint. */
char *lc_ms_sign(const lc_ms_manifest *m, EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, char *err,
		 size_t errlen);

typedef enum { LC_MS_MODE_KEY, LC_MS_MODE_CERTIFICATE, LC_MS_MODE_SIGSTORE } lc_ms_mode;

struct lc_ss_trust;
struct lc_ss_result;

typedef struct lc_ms_verify_opts {
	lc_ms_mode mode;
	EVP_PKEY *public_key;  /* key mode */
	STACK_OF(X509) *trust; /* certificate mode: trust anchors (and intermediates) */
	FILE *warn;            /* warnings (legacy key material); may be NULL */
	/* sigstore mode (supply/sigstore.h): the trust root, the expected
	 * identity (SAN) and OIDC issuer; what was verified goes to result */
	const struct lc_ss_trust *sigstore_trust;
	const char *identity, *issuer;
	struct lc_ss_result *sigstore_result; /* may be NULL */
} lc_ms_verify_opts;

/* Checks the bundle's signature and extracts the expected manifest.
 * LC_MS_OK, LC_MS_REJECT (+ err), LC_MS_ERROR, LC_MS_UNSUPPORTED. */
int lc_ms_verify_bundle(const unsigned char *data, size_t n, const lc_ms_verify_opts *o, lc_ms_manifest *expected,
			char *err, size_t errlen);

/* Compares the signed manifest with the local one, file by file.  Prints
 * one line per difference to out (changed, added, missing, renamed; with the
 * digests when digests is set).  Returns the number of differences. */
size_t lc_ms_compare(const lc_ms_manifest *expected, const lc_ms_manifest *actual, FILE *out, int digests);

#endif
