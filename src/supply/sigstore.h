/*
 * Offline keyless (Sigstore) verification of a model-signing bundle v0.3
 * carrying a DSSE envelope, written anew in C after the behaviour of
 * sigstore-python's Verifier.verify_dsse (which the reference model_signing
 * calls) and sigstore-go:
 *
 *   trust root   a Sigstore ClientTrustConfig or TrustedRoot JSON: Rekor log
 *                keys (tlogs), Fulcio CAs, CT log keys, timestamp authorities
 *   time         the Rekor integratedTime bound by the inclusion promise, and
 *                RFC 3161 timestamps that verify against a TSA of the root
 *   chain        the Fulcio leaf chains to a CA of the root that was valid at
 *                every verified time (X509_STRICT, full path to the root)
 *   SCT          an embedded precertificate SCT signed by a CT log of the root
 *                (RFC 6962 section 3.2: TBSCertificate without the SCT list,
 *                issuer key hash)
 *   tlog entry   exactly one Rekor v1 entry (kind dsse 0.0.1 or intoto
 *                0.0.2) whose body matches this envelope, signature and leaf;
 *                the Merkle inclusion proof (RFC 6962/9162) from the body's
 *                leaf hash to the root hash, the checkpoint (signed note) by
 *                the log key, and the SET when present
 *   identity     the SAN (email, URI or Sigstore otherName) equals the given
 *                identity; the OIDC issuer extension equals the given issuer
 *   signature    the DSSE signature over PAE(payloadType, payload) by the
 *                leaf's key
 *
 * Nothing here touches the network.  Every byte of the bundle and of the
 * trust root is hostile: sizes and counts are bounded, every length is
 * checked, and any malformed or unexpected structure rejects.
 */
#ifndef LC_SUPPLY_SIGSTORE_H
#define LC_SUPPLY_SIGSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define LC_SS_MAX_TRUST_CONFIG (4u << 20) /* larger trust configs are refused */
#define LC_SS_MAX_PROOF 64                /* hashes of an inclusion proof (a 2^64 tree) */
#define LC_SS_MAX_SCTS 32                 /* SCTs in the embedded list */

/* A transparency (Rekor) or CT log key of the trust root. */
typedef struct lc_ss_key {
	EVP_PKEY *pkey;
	const EVP_MD *md;         /* NULL for Ed25519 */
	unsigned char id[32];     /* SHA-256 of the DER SubjectPublicKeyInfo */
	int64_t start_ms, end_ms; /* validFor; INT64_MIN / INT64_MAX when open */
	char *url;                /* baseUrl, informative */
} lc_ss_key;

/* A Fulcio certificate authority or a timestamp authority. */
typedef struct lc_ss_ca {
	STACK_OF(X509) * certs; /* as listed: issuing certificate first, root last */
	int64_t start_ms, end_ms;
	char *uri;
} lc_ss_ca;

typedef struct lc_ss_trust {
	lc_ss_key *tlogs, *ctlogs;
	size_t ntlogs, nctlogs;
	lc_ss_ca *cas, *tsas;
	size_t ncas, ntsas;
} lc_ss_trust;

/* What a verification established (for the report). */
typedef struct lc_ss_result {
	char identity[256]; /* the SAN that matched */
	char issuer[256];
	int64_t integrated_time; /* seconds since the epoch */
	int64_t log_index;
	int ntsa; /* RFC 3161 timestamps verified */
} lc_ss_result;

/* Parses a ClientTrustConfig (application/vnd.dev.sigstore.clienttrustconfig
 * .v0.1+json, its trustedRoot is used) or a bare TrustedRoot.  Returns
 * LC_MS_OK, or LC_MS_REJECT + err naming what is wrong. */
int lc_ss_trust_load(const unsigned char *json, size_t n, lc_ss_trust *t, char *err, size_t errlen);
void lc_ss_trust_free(lc_ss_trust *t);

/* The whole keyless check of a parsed bundle whose DSSE envelope was already
 * decoded (payload, payloadType, the one signature).  Returns LC_MS_OK,
 * LC_MS_REJECT (+ err naming the failed check) or LC_MS_ERROR.  Warnings
 * (ignored timestamps) go to warn when not NULL; res may be NULL. */
int lc_ss_verify_bundle(json_t *bundle, const unsigned char *payload, size_t plen, const char *ptype,
			const unsigned char *sig, size_t siglen, const lc_ss_trust *t, const char *identity,
			const char *issuer, FILE *warn, lc_ss_result *res, char *err, size_t errlen);

/* ---- the pieces, exposed for the unit tests ------------------------------- */

/* RFC 3339 ("2021-01-12T11:53:27.000Z", offsets allowed) to milliseconds
 * since the epoch.  0 or -1. */
int lc_ss_parse_time(const char *s, int64_t *ms);

/* RFC 6962 hashes: SHA-256(0x00 || leaf), SHA-256(0x01 || l || r). */
void lc_ss_leaf_hash(const unsigned char *leaf, size_t n, unsigned char out[32]);
void lc_ss_node_hash(const unsigned char l[32], const unsigned char r[32], unsigned char out[32]);

/* The root an inclusion proof leads to (RFC 9162 section 2.1.3.2) from the
 * leaf hash at index in a tree of size.  0, or -1 + err when the proof has
 * the wrong length for (index, size). */
int lc_ss_merkle_root(const unsigned char leaf[32], uint64_t index, uint64_t size, const unsigned char (*proof)[32],
		      size_t nproof, unsigned char root[32], char *err, size_t errlen);

/* The bytes the Rekor SET signs: RFC 8785 canonical JSON of
 * {body, integratedTime, logID, logIndex}.  Caller frees. */
char *lc_ss_set_payload(const char *body_b64, int64_t integrated_time, const char *log_id_hex, int64_t log_index,
			size_t *len);

/* A checkpoint (signed note): origin, size, root hash; the signed text is the
 * note up to and including the line before the blank line. */
typedef struct lc_ss_checkpoint {
	char origin[256];
	uint64_t size;
	unsigned char root[32];
	size_t text_len; /* bytes of the signed text */
	size_t nsigs;
	struct {
		char name[256];
		unsigned char hint[4];
		unsigned char sig[512];
		size_t siglen;
	} sigs[8];
} lc_ss_checkpoint;
int lc_ss_checkpoint_parse(const char *note, size_t n, lc_ss_checkpoint *cp, char *err, size_t errlen);

/* The TBSCertificate of a DER certificate with the extension whose DER OID
 * (content bytes) is oid removed (the RFC 6962 precertificate TBS).  0, or -1
 * when the DER is malformed or the extension is absent or repeated. */
int lc_ss_tbs_without_ext(const unsigned char *cert, size_t n, const unsigned char *oid, size_t oidlen,
			  unsigned char **tbs, size_t *tbslen);

/* One SCT of a SignedCertificateTimestampList (RFC 6962 section 3.3). */
typedef struct lc_ss_sct {
	unsigned version;
	unsigned char log_id[32];
	uint64_t timestamp; /* ms */
	const unsigned char *ext;
	size_t extlen;
	unsigned hash_alg, sig_alg; /* TLS 1.2: sha256 = 4; rsa = 1, ecdsa = 3 */
	const unsigned char *sig;
	size_t siglen;
} lc_ss_sct;
/* Parses the TLS-encoded list (the content of the extension's inner OCTET
 * STRING); pointers refer into p.  0, or -1 when malformed. */
int lc_ss_sct_list_parse(const unsigned char *p, size_t n, lc_ss_sct *out, size_t max, size_t *count);
/* The digitally-signed struct of an SCT over a precertificate entry.
 * Caller frees. */
unsigned char *lc_ss_sct_signed_data(const lc_ss_sct *s, const unsigned char issuer_key_hash[32],
				     const unsigned char *tbs, size_t tbslen, size_t *len);

#endif
