/*
 * Offline keyless (Sigstore) verification.  See sigstore.h for the checks;
 * the facts (byte layouts, field names, order of checks) come from RFC 6962,
 * RFC 9162, RFC 8785, the Sigstore protobuf specs and the behaviour of
 * sigstore-python and sigstore-go.  One function per check; each failure
 * says which check failed and on what.
 */
#include "supply/sigstore.h"
#include "core/lc.h"
#include "supply/modelsign.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

/* Hostile-input bounds. */
#define MAX_LOGS 64
#define MAX_CAS 64
#define MAX_CA_CERTS 16
#define MAX_DER (64u * 1024)
#define MAX_BODY (16u << 20)
#define MAX_CHECKPOINT (64u * 1024)
#define MAX_TIMESTAMPS 32 /* as sigstore-python and sigstore-go */

/* DER contents (no tag, no length) of the OIDs used here. */
static const unsigned char OID_SCT_LIST[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02};
#define OID_TXT_SCT_LIST "1.3.6.1.4.1.11129.2.4.2"
#define OID_TXT_CT_PRECERT_SIGNING "1.3.6.1.4.1.11129.2.4.4"
#define OID_TXT_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"
#define OID_TXT_OTHERNAME "1.3.6.1.4.1.57264.1.7"
#define OID_TXT_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *ossl_reason(void)
{
	static _Thread_local char buf[200];
	unsigned long e = ERR_peek_last_error();
	buf[0] = 0;
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf[0] ? buf : "no detail";
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = 0;
}

static void sha256(const void *d, size_t n, unsigned char out[32]) { SHA256(d, n, out); }

/* Protobuf JSON accepts the lowerCamelCase and the original field names. */
static json_t *jget(json_t *o, const char *camel, const char *snake)
{
	if (!json_is_object(o))
		return NULL;
	json_t *v = json_object_get(o, camel);
	if (!v && snake)
		v = json_object_get(o, snake);
	return v;
}

static const char *jstr(json_t *o, const char *camel, const char *snake, size_t *len)
{
	json_t *v = jget(o, camel, snake);
	if (!json_is_string(v))
		return NULL;
	if (len)
		*len = json_string_length(v);
	return json_string_value(v);
}

/* int64 fields are strings in protobuf JSON ("206342049"); numbers are
 * accepted too.  Non-negative, canonical decimal. */
static int jint64(json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		if (x < 0)
			return -1;
		*out = (int64_t)x;
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
		return -1;
	int64_t r = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		r = r * 10 + (s[i] - '0');
	}
	*out = r;
	return 0;
}

/* Base64 string field decoded, at most max bytes. */
static int jb64(json_t *o, const char *camel, const char *snake, size_t max, unsigned char **out, size_t *outlen)
{
	size_t sl = 0;
	const char *s = jstr(o, camel, snake, &sl);
	*out = NULL;
	*outlen = 0;
	if (!s || sl / 4 * 3 > max + 3)
		return -1;
	if (lc_ms_b64_decode(s, sl, out, outlen) != 0)
		return -1;
	if (*outlen > max) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static X509 *der_to_x509(const unsigned char *der, size_t n)
{
	if (n == 0 || n > MAX_DER)
		return NULL;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)n);
	if (x && p != der + n) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

static int x509_der(X509 *x, unsigned char **der, size_t *n)
{
	*der = NULL;
	int k = i2d_X509(x, der);
	if (k <= 0)
		return -1;
	*n = (size_t)k;
	return 0;
}

static int64_t asn1_time_s(const ASN1_TIME *t, int *ok)
{
	struct tm tm;
	*ok = t && ASN1_TIME_to_tm(t, &tm) == 1;
	if (!*ok)
		return 0;
	return (int64_t)timegm(&tm);
}

static void fmt_time(int64_t s, char *buf, size_t n)
{
	time_t t = (time_t)s;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "@%lld", (long long)s);
}

/* ---- time ------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int lc_ss_parse_time(const char *s, int64_t *ms)
{
	int Y, M, D, h, mi, sec;
	if (!s || strlen(s) < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
	    digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
	if (Y < 1 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] + (M == 2 && leap) || h > 23 || mi > 59 || sec > 59)
		return -1;
	const char *p = s + 19;
	int frac_ms = 0;
	if (*p == '.') {
		p++;
		int nd = 0;
		while (*p >= '0' && *p <= '9') {
			if (nd < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
			nd++;
			p++;
		}
		if (nd == 0 || nd > 9)
			return -1;
		for (int i = nd; i < 3; i++)
			frac_ms *= 10;
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off;
	*ms = secs * 1000 + frac_ms;
	return 0;
}

/* validFor {start, end}: absent bounds are open. */
static int parse_valid_for(json_t *vf, int64_t *start, int64_t *end)
{
	*start = INT64_MIN;
	*end = INT64_MAX;
	if (!vf || json_is_null(vf))
		return 0;
	if (!json_is_object(vf))
		return -1;
	json_t *s = json_object_get(vf, "start"), *e = json_object_get(vf, "end");
	if (s && !json_is_null(s) && (!json_is_string(s) || lc_ss_parse_time(json_string_value(s), start) != 0))
		return -1;
	if (e && !json_is_null(e) && (!json_is_string(e) || lc_ss_parse_time(json_string_value(e), end) != 0))
		return -1;
	return *start <= *end ? 0 : -1;
}

static int in_range(int64_t ms, int64_t start, int64_t end) { return ms >= start && ms <= end; }

/* ---- trust root ------------------------------------------------------------ */

static void key_free(lc_ss_key *k)
{
	EVP_PKEY_free(k->pkey);
	free(k->url);
}

static void ca_free(lc_ss_ca *c)
{
	sk_X509_pop_free(c->certs, X509_free);
	free(c->uri);
}

void lc_ss_trust_free(lc_ss_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ntlogs; i++)
		key_free(&t->tlogs[i]);
	for (size_t i = 0; i < t->nctlogs; i++)
		key_free(&t->ctlogs[i]);
	for (size_t i = 0; i < t->ncas; i++)
		ca_free(&t->cas[i]);
	for (size_t i = 0; i < t->ntsas; i++)
		ca_free(&t->tsas[i]);
	free(t->tlogs);
	free(t->ctlogs);
	free(t->cas);
	free(t->tsas);
	memset(t, 0, sizeof *t);
}

static const char *group_name(EVP_PKEY *k, char *buf, size_t n)
{
	size_t len = 0;
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC || EVP_PKEY_get_group_name(k, buf, n, &len) != 1)
		return "";
	return buf;
}

/* Key details of the Sigstore protobuf specs (PublicKeyDetails) this build
 * verifies with.  Returns 1 and the hash, 0 for a type it does not know. */
static int key_type_ok(const char *details, EVP_PKEY *k, const EVP_MD **md)
{
	char g[64];
	int id = EVP_PKEY_get_base_id(k);
	if (!details)
		return 0;
	if (strcmp(details, "PKIX_ECDSA_P256_SHA_256") == 0) {
		*md = EVP_sha256();
		return id == EVP_PKEY_EC && strcmp(group_name(k, g, sizeof g), "prime256v1") == 0;
	}
	if (strcmp(details, "PKIX_ECDSA_P384_SHA_384") == 0) {
		*md = EVP_sha384();
		return id == EVP_PKEY_EC && strcmp(group_name(k, g, sizeof g), "secp384r1") == 0;
	}
	if (strcmp(details, "PKIX_ECDSA_P521_SHA_512") == 0) {
		*md = EVP_sha512();
		return id == EVP_PKEY_EC && strcmp(group_name(k, g, sizeof g), "secp521r1") == 0;
	}
	if (strcmp(details, "PKIX_ED25519") == 0) {
		*md = NULL;
		return id == EVP_PKEY_ED25519;
	}
	if (strcmp(details, "PKIX_RSA_PKCS1V15_2048_SHA256") == 0 ||
	    strcmp(details, "PKIX_RSA_PKCS1V15_3072_SHA256") == 0 ||
	    strcmp(details, "PKIX_RSA_PKCS1V15_4096_SHA256") == 0 || strcmp(details, "PKCS1_RSA_PKCS1V5") == 0) {
		*md = EVP_sha256();
		return id == EVP_PKEY_RSA && EVP_PKEY_get_bits(k) >= 2048;
	}
	return 0;
}

/* One entry of tlogs or ctlogs.  Returns 1 loaded, 0 skipped (a key type
 * this build does not verify with), -1 malformed. */
static int load_log(json_t *e, lc_ss_key *k, const char *what, size_t i, char *err, size_t errlen)
{
	memset(k, 0, sizeof *k);
	json_t *pk = jget(e, "publicKey", "public_key");
	unsigned char *raw = NULL;
	size_t n = 0;
	if (!json_is_object(pk) || jb64(pk, "rawBytes", "raw_bytes", MAX_DER, &raw, &n) != 0 || n == 0) {
		seterr(err, errlen, "trust root: %s[%zu] has no publicKey.rawBytes", what, i);
		free(raw);
		return -1;
	}
	const unsigned char *p = raw;
	EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)n);
	int full = key && p == raw + n;
	free(raw);
	ERR_clear_error();
	if (!full) {
		EVP_PKEY_free(key);
		seterr(err, errlen, "trust root: %s[%zu] public key is not DER SubjectPublicKeyInfo", what, i);
		return -1;
	}
	if (parse_valid_for(jget(pk, "validFor", "valid_for"), &k->start_ms, &k->end_ms) != 0) {
		EVP_PKEY_free(key);
		seterr(err, errlen, "trust root: %s[%zu] has an invalid validFor", what, i);
		return -1;
	}
	const EVP_MD *md = NULL;
	if (!key_type_ok(jstr(pk, "keyDetails", "key_details", NULL), key, &md)) {
		EVP_PKEY_free(key);
		return 0;
	}
	unsigned char *spki = NULL;
	int sl = i2d_PUBKEY(key, &spki);
	if (sl <= 0) {
		EVP_PKEY_free(key);
		seterr(err, errlen, "trust root: %s[%zu] public key cannot be encoded", what, i);
		return -1;
	}
	sha256(spki, (size_t)sl, k->id);
	OPENSSL_free(spki);
	k->pkey = key;
	k->md = md;
	const char *url = jstr(e, "baseUrl", "base_url", NULL);
	k->url = strdup(url ? url : "");
	if (!k->url) {
		key_free(k);
		return -1;
	}
	return 1;
}

static int load_logs(json_t *arr, lc_ss_key **out, size_t *nout, const char *what, char *err, size_t errlen)
{
	*out = NULL;
	*nout = 0;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_LOGS) {
		seterr(err, errlen, "trust root: %s is not an array of at most %d logs", what, MAX_LOGS);
		return -1;
	}
	size_t n = json_array_size(arr);
	*out = calloc(n ? n : 1, sizeof **out);
	if (!*out)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int r = load_log(json_array_get(arr, i), &(*out)[*nout], what, i, err, errlen);
		if (r < 0)
			return -1;
		*nout += (size_t)r;
	}
	return 0;
}

static int load_cas(json_t *arr, lc_ss_ca **out, size_t *nout, const char *what, char *err, size_t errlen)
{
	*out = NULL;
	*nout = 0;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_CAS) {
		seterr(err, errlen, "trust root: %s is not an array of at most %d authorities", what, MAX_CAS);
		return -1;
	}
	size_t n = json_array_size(arr);
	*out = calloc(n ? n : 1, sizeof **out);
	if (!*out)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		lc_ss_ca *c = &(*out)[i];
		json_t *certs = jget(jget(e, "certChain", "cert_chain"), "certificates", NULL);
		if (!json_is_array(certs) || json_array_size(certs) == 0 || json_array_size(certs) > MAX_CA_CERTS) {
			seterr(err, errlen, "trust root: %s[%zu] needs 1 to %d certChain.certificates", what, i,
			       MAX_CA_CERTS);
			return -1;
		}
		if (!(c->certs = sk_X509_new_null()))
			return -1;
		*nout = i + 1;
		for (size_t j = 0; j < json_array_size(certs); j++) {
			unsigned char *der = NULL;
			size_t dl = 0;
			X509 *x = NULL;
			if (jb64(json_array_get(certs, j), "rawBytes", "raw_bytes", MAX_DER, &der, &dl) == 0)
				x = der_to_x509(der, dl);
			free(der);
			if (!x || !sk_X509_push(c->certs, x)) {
				X509_free(x);
				seterr(err, errlen, "trust root: %s[%zu] certificate %zu is not DER X.509", what, i, j);
				return -1;
			}
		}
		if (parse_valid_for(jget(e, "validFor", "valid_for"), &c->start_ms, &c->end_ms) != 0) {
			seterr(err, errlen, "trust root: %s[%zu] has an invalid validFor", what, i);
			return -1;
		}
		const char *uri = jstr(e, "uri", NULL, NULL);
		if (!(c->uri = strdup(uri ? uri : "")))
			return -1;
	}
	return 0;
}

int lc_ss_trust_load(const unsigned char *data, size_t n, lc_ss_trust *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (err && errlen)
		err[0] = 0;
	if (n > LC_SS_MAX_TRUST_CONFIG) {
		seterr(err, errlen, "the trust config is larger than %u bytes", LC_SS_MAX_TRUST_CONFIG);
		return LC_MS_REJECT;
	}
	json_error_t je;
	json_t *root = json_loadb((const char *)data, n, JSON_REJECT_DUPLICATES, &je);
	int rc = LC_MS_REJECT;
	if (!json_is_object(root)) {
		seterr(err, errlen, "the trust config is not a JSON object (line %d: %s)", je.line, je.text);
		goto out;
	}
	const char *mt = jstr(root, "mediaType", "media_type", NULL);
	json_t *tr = root;
	if (mt && strcmp(mt, "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json") == 0) {
		tr = jget(root, "trustedRoot", "trusted_root");
		if (!json_is_object(tr)) {
			seterr(err, errlen, "the client trust config has no trustedRoot");
			goto out;
		}
		mt = jstr(tr, "mediaType", "media_type", NULL);
	}
	if (!mt || (strcmp(mt, "application/vnd.dev.sigstore.trustedroot+json;version=0.1") != 0 &&
		    strcmp(mt, "application/vnd.dev.sigstore.trustedroot.v0.2+json") != 0)) {
		seterr(err, errlen, "unsupported trust root media type %.100s (expected a Sigstore ClientTrustConfig "
				    "v0.1 or TrustedRoot)", mt ? mt : "(none)");
		goto out;
	}
	if (load_logs(jget(tr, "tlogs", NULL), &t->tlogs, &t->ntlogs, "tlogs", err, errlen) != 0 ||
	    load_logs(jget(tr, "ctlogs", NULL), &t->ctlogs, &t->nctlogs, "ctlogs", err, errlen) != 0 ||
	    load_cas(jget(tr, "certificateAuthorities", "certificate_authorities"), &t->cas, &t->ncas,
		     "certificateAuthorities", err, errlen) != 0 ||
	    load_cas(jget(tr, "timestampAuthorities", "timestamp_authorities"), &t->tsas, &t->ntsas,
		     "timestampAuthorities", err, errlen) != 0) {
		if (!err || !err[0])
			seterr(err, errlen, "out of memory reading the trust root");
		goto out;
	}
	if (t->ntlogs == 0 || t->ncas == 0 || t->nctlogs == 0) {
		seterr(err, errlen, "the trust root has no usable %s",
		       t->ntlogs == 0 ? "transparency log key (tlogs)"
		       : t->ncas == 0 ? "Fulcio certificate authority"
				      : "CT log key (ctlogs)");
		goto out;
	}
	rc = LC_MS_OK;
out:
	json_decref(root);
	if (rc != LC_MS_OK)
		lc_ss_trust_free(t);
	return rc;
}

/* ---- signatures -------------------------------------------------------------- */

static int verify_sig(EVP_PKEY *key, const EVP_MD *md, const unsigned char *sig, size_t siglen,
		      const unsigned char *data, size_t n)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestVerifyInit(c, NULL, md, NULL, key) == 1 &&
		 EVP_DigestVerify(c, sig, siglen, data, n) == 1;
	EVP_MD_CTX_free(c);
	ERR_clear_error();
	return ok;
}

static const lc_ss_key *find_key(const lc_ss_key *keys, size_t n, const unsigned char id[32])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(keys[i].id, id, 32) == 0)
			return &keys[i];
	return NULL;
}

/* ---- Merkle tree (RFC 6962 section 2.1, RFC 9162 section 2.1.3.2) ---------- */

void lc_ss_leaf_hash(const unsigned char *leaf, size_t n, unsigned char out[32])
{
	unsigned char z = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, &z, 1) != 1 ||
	    EVP_DigestUpdate(c, leaf, n) != 1 || EVP_DigestFinal_ex(c, out, NULL) != 1)
		memset(out, 0, 32); /* no match possible: the proof check fails */
	EVP_MD_CTX_free(c);
}

void lc_ss_node_hash(const unsigned char l[32], const unsigned char r[32], unsigned char out[32])
{
	unsigned char b[65];
	b[0] = 1;
	memcpy(b + 1, l, 32);
	memcpy(b + 33, r, 32);
	sha256(b, sizeof b, out);
}

int lc_ss_merkle_root(const unsigned char leaf[32], uint64_t index, uint64_t size, const unsigned char (*proof)[32],
		      size_t nproof, unsigned char root[32], char *err, size_t errlen)
{
	if (index >= size) {
		seterr(err, errlen, "inclusion proof: log index %llu is not below the tree size %llu",
		       (unsigned long long)index, (unsigned long long)size);
		return -1;
	}
	uint64_t fn = index, sn = size - 1;
	unsigned char r[32];
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < nproof; i++) {
		if (sn == 0) {
			seterr(err, errlen, "inclusion proof: %zu hashes, more than the path to the root", nproof);
			return -1;
		}
		if ((fn & 1) || fn == sn) {
			lc_ss_node_hash(proof[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			lc_ss_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0) {
		seterr(err, errlen, "inclusion proof: %zu hashes, fewer than the path to the root", nproof);
		return -1;
	}
	memcpy(root, r, 32);
	return 0;
}

/* ---- canonical JSON (RFC 8785) of the SET payload -------------------------- */

static void canon_str(lc_buf *b, const char *s)
{
	lc_buf_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *esc = NULL;
		switch (*p) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default: break;
		}
		if (esc)
			lc_buf_puts(b, esc);
		else if (*p < 0x20)
			lc_buf_printf(b, "\\u%04x", *p);
		else
			lc_buf_put(b, p, 1);
	}
	lc_buf_put(b, "\"", 1);
}

char *lc_ss_set_payload(const char *body_b64, int64_t integrated_time, const char *log_id_hex, int64_t log_index,
			size_t *len)
{
	/* keys in RFC 8785 order (UTF-16 code units): body, integratedTime,
	 * logID, logIndex */
	lc_buf b = {0};
	lc_buf_puts(&b, "{\"body\":");
	canon_str(&b, body_b64);
	lc_buf_printf(&b, ",\"integratedTime\":%lld,\"logID\":", (long long)integrated_time);
	canon_str(&b, log_id_hex);
	lc_buf_printf(&b, ",\"logIndex\":%lld}", (long long)log_index);
	if (b.oom || !b.p) {
		lc_buf_free(&b);
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.p;
}

/* ---- checkpoint (signed note) ------------------------------------------------ */

int lc_ss_checkpoint_parse(const char *s, size_t n, lc_ss_checkpoint *cp, char *err, size_t errlen)
{
	memset(cp, 0, sizeof *cp);
	if (n == 0 || n > MAX_CHECKPOINT || memchr(s, 0, n)) {
		seterr(err, errlen, "checkpoint: empty, too large or with NUL bytes");
		return -1;
	}
	/* exactly one blank line separates the note text from the signatures */
	const char *sep = NULL;
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '\n' && s[i + 1] == '\n') {
			if (sep) {
				seterr(err, errlen, "checkpoint: more than one blank line");
				return -1;
			}
			sep = s + i;
		}
	if (!sep) {
		seterr(err, errlen, "checkpoint: no blank line before the signatures");
		return -1;
	}
	cp->text_len = (size_t)(sep - s) + 1;
	/* text: origin, tree size, root hash, then optional extension lines */
	const char *p = s, *end = s + cp->text_len;
	const char *line[3];
	size_t llen[3];
	for (int k = 0; k < 3; k++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			seterr(err, errlen, "checkpoint: fewer than 3 lines (origin, size, root hash)");
			return -1;
		}
		line[k] = p;
		llen[k] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (llen[0] == 0 || llen[0] >= sizeof cp->origin) {
		seterr(err, errlen, "checkpoint: empty or too long origin");
		return -1;
	}
	memcpy(cp->origin, line[0], llen[0]);
	uint64_t sz = 0;
	if (llen[1] == 0 || llen[1] > 19 || (llen[1] > 1 && line[1][0] == '0')) {
		seterr(err, errlen, "checkpoint: tree size is not a decimal number");
		return -1;
	}
	for (size_t i = 0; i < llen[1]; i++) {
		if (line[1][i] < '0' || line[1][i] > '9') {
			seterr(err, errlen, "checkpoint: tree size is not a decimal number");
			return -1;
		}
		sz = sz * 10 + (uint64_t)(line[1][i] - '0');
	}
	cp->size = sz;
	unsigned char *h = NULL;
	size_t hl = 0;
	if (lc_ms_b64_decode(line[2], llen[2], &h, &hl) != 0 || hl != 32) {
		free(h);
		seterr(err, errlen, "checkpoint: root hash is not 32 bytes of base64");
		return -1;
	}
	memcpy(cp->root, h, 32);
	free(h);
	/* signatures: "\u2014 NAME BASE64\n" each, at least one */
	p = sep + 2;
	end = s + n;
	if (p >= end || end[-1] != '\n') {
		seterr(err, errlen, "checkpoint: no signature, or the signature block does not end with a newline");
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)(nl - p);
		if (cp->nsigs == sizeof cp->sigs / sizeof cp->sigs[0]) {
			seterr(err, errlen, "checkpoint: more than %zu signatures", sizeof cp->sigs / sizeof cp->sigs[0]);
			return -1;
		}
		const char *sp = ll > 4 ? memchr(p + 4, ' ', ll - 4) : NULL;
		if (ll < 4 || memcmp(p, "\xe2\x80\x94 ", 4) != 0 || !sp || sp == p + 4) {
			seterr(err, errlen, "checkpoint: malformed signature line");
			return -1;
		}
		size_t nl_name = (size_t)(sp - (p + 4));
		const char *b64 = sp + 1;
		size_t bl = (size_t)(nl - b64);
		if (nl_name >= sizeof cp->sigs[0].name || memchr(b64, ' ', bl) || bl == 0) {
			seterr(err, errlen, "checkpoint: malformed signature line");
			return -1;
		}
		unsigned char *d = NULL;
		size_t dl = 0;
		if (lc_ms_b64_decode(b64, bl, &d, &dl) != 0 || dl < 5 || dl - 4 > sizeof cp->sigs[0].sig) {
			free(d);
			seterr(err, errlen, "checkpoint: signature is not base64 of a key hint and a signature");
			return -1;
		}
		memcpy(cp->sigs[cp->nsigs].name, p + 4, nl_name);
		memcpy(cp->sigs[cp->nsigs].hint, d, 4);
		memcpy(cp->sigs[cp->nsigs].sig, d + 4, dl - 4);
		cp->sigs[cp->nsigs].siglen = dl - 4;
		cp->nsigs++;
		free(d);
		p = nl + 1;
	}
	return 0;
}

/* ---- DER: the precertificate TBS ------------------------------------------- */

/* One TLV at p[*off..n): single-byte tag, definite minimal length.  Sets
 * the content range and advances *off past the TLV. */
static int der_tlv(const unsigned char *p, size_t n, size_t *off, unsigned char *tag, size_t *cstart, size_t *clen)
{
	size_t o = *off;
	if (o > n || n - o < 2)
		return -1;
	unsigned char t = p[o++];
	if ((t & 0x1f) == 0x1f)
		return -1;
	size_t len = p[o++];
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || n - o < k || p[o] == 0)
			return -1;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | p[o++];
		if (len < 0x80)
			return -1;
	}
	if (len > n - o)
		return -1;
	*tag = t;
	*cstart = o;
	*clen = len;
	*off = o + len;
	return 0;
}

static void der_header(lc_buf *b, unsigned char tag, size_t len)
{
	unsigned char h[6];
	size_t k = 0;
	h[k++] = tag;
	if (len < 0x80) {
		h[k++] = (unsigned char)len;
	} else {
		int nb = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
		h[k++] = (unsigned char)(0x80 | nb);
		for (int i = nb - 1; i >= 0; i--)
			h[k++] = (unsigned char)(len >> (8 * i));
	}
	lc_buf_put(b, h, k);
}

static size_t der_header_len(size_t len) { return len < 0x80 ? 2 : len <= 0xff ? 3 : len <= 0xffff ? 4 : len <= 0xffffff ? 5 : 6; }

int lc_ss_tbs_without_ext(const unsigned char *cert, size_t n, const unsigned char *oid, size_t oidlen,
			  unsigned char **tbs, size_t *tbslen)
{
	*tbs = NULL;
	*tbslen = 0;
	size_t off = 0, cs, cl;
	unsigned char tag;
	if (der_tlv(cert, n, &off, &tag, &cs, &cl) != 0 || tag != 0x30 || off != n)
		return -1;
	/* TBSCertificate: the first element of the certificate */
	size_t toff = cs, ts, tl;
	if (der_tlv(cert, cs + cl, &toff, &tag, &ts, &tl) != 0 || tag != 0x30)
		return -1;
	size_t tend = ts + tl;
	/* find [3] EXPLICIT Extensions among the TBS fields */
	size_t o = ts, a3_start = 0, a3_end = 0, xs = 0, xl = 0;
	int found_a3 = 0;
	while (o < tend) {
		size_t fstart = o;
		if (der_tlv(cert, tend, &o, &tag, &cs, &cl) != 0)
			return -1;
		if (tag == 0xa3) {
			if (found_a3)
				return -1;
			found_a3 = 1;
			a3_start = fstart;
			a3_end = o;
			size_t io = cs;
			if (der_tlv(cert, cs + cl, &io, &tag, &xs, &xl) != 0 || tag != 0x30 || io != cs + cl)
				return -1;
		}
	}
	if (!found_a3)
		return -1;
	/* the extension to drop: exactly one Extension whose extnID is oid */
	size_t eo = xs, drop_s = 0, drop_e = 0;
	int matches = 0;
	while (eo < xs + xl) {
		size_t es = eo, ecs, ecl, io, ocs, ocl;
		if (der_tlv(cert, xs + xl, &eo, &tag, &ecs, &ecl) != 0 || tag != 0x30)
			return -1;
		io = ecs;
		if (der_tlv(cert, ecs + ecl, &io, &tag, &ocs, &ocl) != 0 || tag != 0x06)
			return -1;
		if (ocl == oidlen && memcmp(cert + ocs, oid, oidlen) == 0) {
			matches++;
			drop_s = es;
			drop_e = eo;
		}
	}
	if (matches != 1)
		return -1;
	size_t new_xl = xl - (drop_e - drop_s);
	lc_buf b = {0};
	/* TBS content: the fields before [3], [3] rebuilt (left out when no
	 * extension remains), the fields after it (none in X.509 v3) */
	size_t a3_content = new_xl ? der_header_len(new_xl) + new_xl : 0;
	size_t body = (a3_start - ts) + (new_xl ? der_header_len(a3_content) + a3_content : 0) + (tend - a3_end);
	der_header(&b, 0x30, body);
	lc_buf_put(&b, cert + ts, a3_start - ts);
	if (new_xl) {
		der_header(&b, 0xa3, a3_content);
		der_header(&b, 0x30, new_xl);
		lc_buf_put(&b, cert + xs, drop_s - xs);
		lc_buf_put(&b, cert + drop_e, xs + xl - drop_e);
	}
	lc_buf_put(&b, cert + a3_end, tend - a3_end);
	if (b.oom || !b.p) {
		lc_buf_free(&b);
		return -1;
	}
	*tbs = (unsigned char *)b.p;
	*tbslen = b.len;
	return 0;
}

/* ---- SCT (RFC 6962 section 3.2-3.3) ----------------------------------------- */

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int lc_ss_sct_list_parse(const unsigned char *p, size_t n, lc_ss_sct *out, size_t max, size_t *count)
{
	*count = 0;
	if (n < 2 || be(p, 2) != n - 2)
		return -1;
	size_t o = 2;
	while (o < n) {
		if (n - o < 2)
			return -1;
		size_t sl = (size_t)be(p + o, 2);
		o += 2;
		if (sl > n - o || *count == max)
			return -1;
		const unsigned char *s = p + o, *e = p + o + sl;
		lc_ss_sct *t = &out[*count];
		memset(t, 0, sizeof *t);
		/* version, log id, timestamp, extensions length */
		if (e - s < 1 + 32 + 8 + 2)
			return -1;
		t->version = s[0];
		memcpy(t->log_id, s + 1, 32);
		t->timestamp = be(s + 33, 8);
		size_t el = (size_t)be(s + 41, 2);
		s += 43;
		if ((size_t)(e - s) < el)
			return -1;
		t->ext = s;
		t->extlen = el;
		s += el;
		/* digitally-signed: hash, signature algorithm, signature */
		if (e - s < 4)
			return -1;
		t->hash_alg = s[0];
		t->sig_alg = s[1];
		size_t gl = (size_t)be(s + 2, 2);
		s += 4;
		if ((size_t)(e - s) != gl || gl == 0)
			return -1;
		t->sig = s;
		t->siglen = gl;
		(*count)++;
		o += sl;
	}
	return *count ? 0 : -1;
}

unsigned char *lc_ss_sct_signed_data(const lc_ss_sct *s, const unsigned char issuer_key_hash[32],
				     const unsigned char *tbs, size_t tbslen, size_t *len)
{
	if (tbslen == 0 || tbslen > 0xffffff || s->extlen > 0xffff)
		return NULL;
	lc_buf b = {0};
	unsigned char h[12];
	h[0] = (unsigned char)s->version; /* sct_version */
	h[1] = 0;                         /* signature_type: certificate_timestamp */
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)(s->timestamp >> (56 - 8 * i));
	h[10] = 0; /* entry_type: precert_entry (1), uint16 */
	h[11] = 1;
	lc_buf_put(&b, h, 12);
	lc_buf_put(&b, issuer_key_hash, 32);
	unsigned char l3[3] = {(unsigned char)(tbslen >> 16), (unsigned char)(tbslen >> 8), (unsigned char)tbslen};
	lc_buf_put(&b, l3, 3);
	lc_buf_put(&b, tbs, tbslen);
	unsigned char l2[2] = {(unsigned char)(s->extlen >> 8), (unsigned char)s->extlen};
	lc_buf_put(&b, l2, 2);
	if (s->extlen)
		lc_buf_put(&b, s->ext, s->extlen);
	if (b.oom || !b.p) {
		lc_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return (unsigned char *)b.p;
}

/* ---- the checks ------------------------------------------------------------ */

typedef struct {
	json_t *entry;
	unsigned char *body; /* canonicalizedBody, decoded */
	size_t bodylen;
	char *body_b64; /* re-encoded in standard base64, as the SET signs it */
	unsigned char log_id[32];
	int64_t log_index, integrated_time;
	const lc_ss_key *key;
	int has_promise;
} tlog;

static int pem_is_cert(const unsigned char *pem, size_t n, const unsigned char *leaf_der, size_t leaf_len)
{
	if (n == 0 || n > 4 * MAX_DER)
		return 0;
	BIO *b = BIO_new_mem_buf(pem, (int)n);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	size_t dl = 0;
	int same = x && x509_der(x, &der, &dl) == 0 && dl == leaf_len && memcmp(der, leaf_der, dl) == 0;
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return same;
}

static int b64_equals(json_t *v, const unsigned char *want, size_t wantlen, int twice)
{
	if (!json_is_string(v))
		return 0;
	unsigned char *d = NULL, *d2 = NULL;
	size_t dl = 0, d2l = 0;
	int ok = lc_ms_b64_decode(json_string_value(v), json_string_length(v), &d, &dl) == 0;
	if (ok && twice) {
		ok = lc_ms_b64_decode((const char *)d, dl, &d2, &d2l) == 0;
		free(d);
		d = d2;
		dl = d2l;
	}
	ok = ok && dl == wantlen && memcmp(d, want, dl) == 0;
	free(d);
	return ok;
}

/* The entry's body must describe this envelope: payload hash, the one
 * signature, and the leaf as verifier (prevents CVE-2022-36056 variants). */
static int check_tlog_body(const tlog *tl, const unsigned char *payload, size_t plen, const unsigned char *sig,
			   size_t siglen, const unsigned char *leaf_der, size_t leaf_len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *b = json_loadb((const char *)tl->body, tl->bodylen, JSON_REJECT_DUPLICATES, &je);
	int rc = LC_MS_REJECT;
	const char *kind = jstr(b, "kind", NULL, NULL), *ver = jstr(b, "apiVersion", NULL, NULL);
	json_t *kv = jget(tl->entry, "kindVersion", "kind_version");
	const char *kk = jstr(kv, "kind", NULL, NULL), *kver = jstr(kv, "version", NULL, NULL);
	unsigned char ph[32];
	char phex[65];
	sha256(payload, plen, ph);
	hex(ph, 32, phex);
	if (!json_is_object(b) || !kind || !ver) {
		seterr(err, errlen, "Rekor entry: the canonicalized body is not a Rekor entry (JSON with kind and "
				    "apiVersion)");
		goto out;
	}
	if (!kk || !kver || strcmp(kk, kind) != 0 || strcmp(kver, ver) != 0) {
		seterr(err, errlen, "Rekor entry: kindVersion %.40s/%.40s does not match the body's %.40s/%.40s",
		       kk ? kk : "(none)", kver ? kver : "(none)", kind, ver);
		goto out;
	}
	json_t *spec = json_object_get(b, "spec"), *hash, *sigs;
	const char *verifier_key;
	int twice;
	if (strcmp(kind, "dsse") == 0 && strcmp(ver, "0.0.1") == 0) {
		hash = json_object_get(spec, "payloadHash");
		sigs = json_object_get(spec, "signatures");
		verifier_key = "verifier";
		twice = 0;
	} else if (strcmp(kind, "intoto") == 0 && strcmp(ver, "0.0.2") == 0) {
		json_t *content = json_object_get(spec, "content");
		hash = json_object_get(content, "payloadHash");
		sigs = json_object_get(json_object_get(content, "envelope"), "signatures");
		verifier_key = "publicKey";
		twice = 1; /* intoto 0.0.2 stores the signature base64 of base64 */
	} else {
		seterr(err, errlen, "Rekor entry: kind %.40s %.40s cannot record a DSSE envelope (dsse 0.0.1 or "
				    "intoto 0.0.2 expected)", kind, ver);
		goto out;
	}
	const char *alg = jstr(hash, "algorithm", NULL, NULL), *val = jstr(hash, "value", NULL, NULL);
	if (!alg || strcmp(alg, "sha256") != 0 || !val) {
		seterr(err, errlen, "Rekor entry: no SHA-256 payload hash in the %s body", kind);
		goto out;
	}
	if (strcmp(val, phex) != 0) {
		seterr(err, errlen, "Rekor entry: its payload hash %.64s is not the envelope payload's %s", val, phex);
		goto out;
	}
	if (!json_is_array(sigs) || json_array_size(sigs) != 1) {
		seterr(err, errlen, "Rekor entry: it records %zu signatures, the envelope has 1",
		       json_is_array(sigs) ? json_array_size(sigs) : 0);
		goto out;
	}
	json_t *s0 = json_array_get(sigs, 0);
	if (!b64_equals(json_object_get(s0, twice ? "sig" : "signature"), sig, siglen, twice)) {
		seterr(err, errlen, "Rekor entry: its signature is not the envelope's signature");
		goto out;
	}
	json_t *ver_v = json_object_get(s0, verifier_key);
	unsigned char *pem = NULL;
	size_t peml = 0;
	int same = json_is_string(ver_v) &&
		   lc_ms_b64_decode(json_string_value(ver_v), json_string_length(ver_v), &pem, &peml) == 0 &&
		   pem_is_cert(pem, peml, leaf_der, leaf_len);
	free(pem);
	if (!same) {
		seterr(err, errlen, "Rekor entry: its verifier is not the bundle's signing certificate");
		goto out;
	}
	rc = LC_MS_OK;
out:
	json_decref(b);
	return rc;
}

/* The Merkle audit path from the body's leaf hash leads to rootHash. */
static int check_inclusion_proof(const tlog *tl, json_t *ip, unsigned char root[32], uint64_t *tree_size, char *err,
				 size_t errlen)
{
	int64_t idx, size;
	unsigned char *rh = NULL;
	size_t rhl = 0;
	json_t *hashes = json_object_get(ip, "hashes");
	if (jint64(jget(ip, "logIndex", "log_index"), &idx) != 0 || jint64(jget(ip, "treeSize", "tree_size"), &size) != 0 ||
	    jb64(ip, "rootHash", "root_hash", 32, &rh, &rhl) != 0 || rhl != 32 || !json_is_array(hashes) ||
	    json_array_size(hashes) > LC_SS_MAX_PROOF) {
		free(rh);
		seterr(err, errlen, "inclusion proof: malformed (logIndex, treeSize, rootHash or hashes)");
		return LC_MS_REJECT;
	}
	memcpy(root, rh, 32);
	free(rh);
	size_t np = json_array_size(hashes);
	unsigned char(*proof)[32] = calloc(np ? np : 1, 32);
	if (!proof)
		return LC_MS_ERROR;
	for (size_t i = 0; i < np; i++) {
		json_t *h = json_array_get(hashes, i);
		unsigned char *d = NULL;
		size_t dl = 0;
		if (!json_is_string(h) || lc_ms_b64_decode(json_string_value(h), json_string_length(h), &d, &dl) != 0 ||
		    dl != 32) {
			free(d);
			free(proof);
			seterr(err, errlen, "inclusion proof: hash %zu is not 32 bytes of base64", i);
			return LC_MS_REJECT;
		}
		memcpy(proof[i], d, 32);
		free(d);
	}
	unsigned char leaf[32], got[32];
	lc_ss_leaf_hash(tl->body, tl->bodylen, leaf);
	int r = lc_ss_merkle_root(leaf, (uint64_t)idx, (uint64_t)size, (const unsigned char(*)[32])proof, np, got, err,
				  errlen);
	free(proof);
	if (r != 0)
		return LC_MS_REJECT;
	if (memcmp(got, root, 32) != 0) {
		char a[65], b[65];
		hex(got, 32, a);
		hex(root, 32, b);
		seterr(err, errlen, "inclusion proof: the audit path of the entry leads to %s, not to rootHash %s", a, b);
		return LC_MS_REJECT;
	}
	*tree_size = (uint64_t)size;
	return LC_MS_OK;
}

/* The checkpoint commits to the same tree (size, root) and is signed by the
 * log's key (note signature whose key hint is the first 4 bytes of the key
 * id). */
static int check_checkpoint(const tlog *tl, json_t *ip, const unsigned char root[32], uint64_t tree_size, char *err,
			    size_t errlen)
{
	size_t n = 0;
	const char *env = jstr(jget(ip, "checkpoint", NULL), "envelope", NULL, &n);
	lc_ss_checkpoint cp;
	if (!env) {
		seterr(err, errlen, "inclusion proof: no checkpoint");
		return LC_MS_REJECT;
	}
	char why[200];
	if (lc_ss_checkpoint_parse(env, n, &cp, why, sizeof why) != 0) {
		seterr(err, errlen, "%s", why);
		return LC_MS_REJECT;
	}
	if (cp.size != tree_size || memcmp(cp.root, root, 32) != 0) {
		seterr(err, errlen, "checkpoint: it commits to a tree of size %llu with another root than the "
				    "inclusion proof's (size %llu)",
		       (unsigned long long)cp.size, (unsigned long long)tree_size);
		return LC_MS_REJECT;
	}
	int tried = 0;
	for (size_t i = 0; i < cp.nsigs; i++) {
		if (memcmp(cp.sigs[i].hint, tl->key->id, 4) != 0)
			continue; /* another signer (a witness): not ours to check */
		tried++;
		if (!verify_sig(tl->key->pkey, tl->key->md, cp.sigs[i].sig, cp.sigs[i].siglen,
				(const unsigned char *)env, cp.text_len)) {
			seterr(err, errlen, "checkpoint: the signature of %s does not verify with the log key",
			       cp.sigs[i].name);
			return LC_MS_REJECT;
		}
	}
	if (!tried) {
		seterr(err, errlen, "checkpoint: not signed by the transparency log's key");
		return LC_MS_REJECT;
	}
	return LC_MS_OK;
}

/* The inclusion promise: the log's signature over the canonical
 * {body, integratedTime, logID, logIndex}. */
static int check_set(const tlog *tl, char *err, size_t errlen)
{
	json_t *ip = jget(tl->entry, "inclusionPromise", "inclusion_promise");
	unsigned char *set = NULL;
	size_t setl = 0;
	if (jb64(ip, "signedEntryTimestamp", "signed_entry_timestamp", 4096, &set, &setl) != 0 || setl == 0) {
		free(set);
		seterr(err, errlen, "Rekor inclusion promise: signedEntryTimestamp is not base64");
		return LC_MS_REJECT;
	}
	char idhex[65];
	hex(tl->log_id, 32, idhex);
	size_t pl = 0;
	char *payload = lc_ss_set_payload(tl->body_b64, tl->integrated_time, idhex, tl->log_index, &pl);
	if (!payload) {
		free(set);
		return LC_MS_ERROR;
	}
	int ok = verify_sig(tl->key->pkey, tl->key->md, set, setl, (const unsigned char *)payload, pl);
	free(payload);
	free(set);
	if (!ok) {
		seterr(err, errlen, "Rekor inclusion promise (SET) does not verify with the log key over entry %lld "
				    "integrated at %lld",
		       (long long)tl->log_index, (long long)tl->integrated_time);
		return LC_MS_REJECT;
	}
	return LC_MS_OK;
}

/* Reads the bundle's one transparency log entry and finds its log key. */
static int read_tlog(json_t *vm, const lc_ss_trust *t, tlog *tl, char *err, size_t errlen)
{
	json_t *entries = jget(vm, "tlogEntries", "tlog_entries");
	if (!json_is_array(entries) || json_array_size(entries) != 1) {
		seterr(err, errlen, "the bundle must carry exactly one transparency log entry (it has %zu)",
		       json_is_array(entries) ? json_array_size(entries) : 0);
		return LC_MS_REJECT;
	}
	json_t *e = json_array_get(entries, 0);
	tl->entry = e;
	unsigned char *id = NULL;
	size_t idl = 0;
	if (jint64(jget(e, "logIndex", "log_index"), &tl->log_index) != 0 ||
	    jint64(jget(e, "integratedTime", "integrated_time"), &tl->integrated_time) != 0 ||
	    jb64(jget(e, "logId", "log_id"), "keyId", "key_id", 32, &id, &idl) != 0 || idl != 32) {
		free(id);
		seterr(err, errlen, "Rekor entry: malformed logIndex, integratedTime or logId");
		return LC_MS_REJECT;
	}
	memcpy(tl->log_id, id, 32);
	free(id);
	if (jb64(e, "canonicalizedBody", "canonicalized_body", MAX_BODY, &tl->body, &tl->bodylen) != 0 ||
	    tl->bodylen == 0) {
		seterr(err, errlen, "Rekor entry: canonicalizedBody is missing or not base64");
		return LC_MS_REJECT;
	}
	if (!(tl->body_b64 = lc_ms_b64_encode(tl->body, tl->bodylen)))
		return LC_MS_ERROR;
	char idhex[65];
	hex(tl->log_id, 32, idhex);
	tl->key = find_key(t->tlogs, t->ntlogs, tl->log_id);
	if (!tl->key) {
		seterr(err, errlen, "Rekor entry: log id %s is not a transparency log of the trust root", idhex);
		return LC_MS_REJECT;
	}
	if (tl->integrated_time > INT64_MAX / 1000 ||
	    !in_range(tl->integrated_time * 1000, tl->key->start_ms, tl->key->end_ms)) {
		seterr(err, errlen, "Rekor entry: the log key %s was not valid at the integrated time %lld", idhex,
		       (long long)tl->integrated_time);
		return LC_MS_REJECT;
	}
	json_t *ip = jget(e, "inclusionPromise", "inclusion_promise");
	tl->has_promise = ip && !json_is_null(ip);
	return LC_MS_OK;
}

/* An RFC 3161 timestamp over SHA-256(signature) by a timestamp authority of
 * the trust root, valid at its genTime.  Returns 1 and the time, 0 with why
 * it was not verified, -1 when it is not a timestamp response at all. */
static int check_tsa_timestamp(json_t *ts, const unsigned char *sig, size_t siglen, const lc_ss_trust *t,
			       int64_t *when, char *why, size_t whylen)
{
	unsigned char *der = NULL;
	size_t dl = 0;
	if (jb64(ts, "signedTimestamp", "signed_timestamp", MAX_DER, &der, &dl) != 0 || dl == 0) {
		free(der);
		seterr(why, whylen, "not base64");
		return -1;
	}
	const unsigned char *p = der;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)dl);
	int whole = resp && p == der + dl;
	free(der);
	if (!whole) {
		TS_RESP_free(resp);
		ERR_clear_error();
		seterr(why, whylen, "not a DER TimeStampResp");
		return -1;
	}
	TS_TST_INFO *info = TS_RESP_get_tst_info(resp);
	int ok = 0;
	int64_t gen = asn1_time_s(info ? TS_TST_INFO_get_time(info) : NULL, &ok);
	if (!ok) {
		TS_RESP_free(resp);
		seterr(why, whylen, "no readable genTime");
		return -1;
	}
	unsigned char imprint[32];
	sha256(sig, siglen, imprint);
	int verified = 0;
	seterr(why, whylen, "the trust root has no timestamp authority valid at its time");
	for (size_t i = 0; i < t->ntsas && !verified; i++) {
		const lc_ss_ca *ca = &t->tsas[i];
		if (!in_range(gen * 1000, ca->start_ms, ca->end_ms))
			continue;
		TS_VERIFY_CTX *vc = TS_VERIFY_CTX_new();
		X509_STORE *st = X509_STORE_new();
		unsigned char *imp = OPENSSL_malloc(32);
		if (!vc || !st || !imp) {
			TS_VERIFY_CTX_free(vc);
			X509_STORE_free(st);
			OPENSSL_free(imp);
			break;
		}
		for (int k = 0; k < sk_X509_num(ca->certs); k++)
			X509_STORE_add_cert(st, sk_X509_value(ca->certs, k));
		/* the TSA chain is checked at the time it stamped, not today */
		X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), (time_t)gen);
		memcpy(imp, imprint, 32);
		TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
		TS_VERIFY_CTX_set_imprint(vc, imp, 32);
		TS_VERIFY_CTX_set_store(vc, st);
		verified = TS_RESP_verify_response(vc, resp) == 1;
		if (!verified)
			seterr(why, whylen, "timestamp authority %zu does not verify it: %s", i, ossl_reason());
		TS_VERIFY_CTX_free(vc);
	}
	ERR_clear_error();
	TS_RESP_free(resp);
	*when = gen;
	return verified;
}

/* The verified times: the integrated time bound by a verified inclusion
 * promise, and every RFC 3161 timestamp that verifies against a TSA of the
 * trust root.  A timestamp that does not verify is reported and left out
 * (sigstore-go's behaviour when the tlog time satisfies the policy); with no
 * verified time at all the bundle is rejected. */
static int establish_times(json_t *vm, const tlog *tl, const unsigned char *sig, size_t siglen, const lc_ss_trust *t,
			   int64_t *times, size_t *ntimes, int *ntsa, FILE *warn, char *err, size_t errlen)
{
	*ntimes = 0;
	*ntsa = 0;
	json_t *tss = jget(jget(vm, "timestampVerificationData", "timestamp_verification_data"), "rfc3161Timestamps",
			   "rfc3161_timestamps");
	if (tss && !json_is_null(tss)) {
		if (!json_is_array(tss) || json_array_size(tss) > MAX_TIMESTAMPS) {
			seterr(err, errlen, "timestamps: rfc3161Timestamps is not an array of at most %d",
			       MAX_TIMESTAMPS);
			return LC_MS_REJECT;
		}
		for (size_t i = 0; i < json_array_size(tss); i++) {
			int64_t when = 0;
			char why[300];
			json_t *ts = json_array_get(tss, i);
			for (size_t j = 0; j < i; j++)
				if (json_equal(ts, json_array_get(tss, j))) {
					seterr(err, errlen, "timestamps: RFC 3161 timestamp %zu is a duplicate", i);
					return LC_MS_REJECT;
				}
			int r = check_tsa_timestamp(ts, sig, siglen, t, &when, why, sizeof why);
			if (r < 0) {
				seterr(err, errlen, "timestamps: RFC 3161 timestamp %zu is malformed (%s)", i, why);
				return LC_MS_REJECT;
			}
			if (r > 0) {
				times[(*ntimes)++] = when;
				(*ntsa)++;
			} else if (warn) {
				fprintf(warn, "laocoon: warning: RFC 3161 timestamp %zu not verified (%s): ignored, the "
					      "Rekor integrated time is used\n",
					i, why);
			}
		}
	}
	if (tl->has_promise)
		times[(*ntimes)++] = tl->integrated_time;
	if (*ntimes == 0) {
		seterr(err, errlen, "no verified time: the log entry has no inclusion promise and no RFC 3161 "
				    "timestamp verifies");
		return LC_MS_REJECT;
	}
	return LC_MS_OK;
}

/* The leaf chains, at every verified time, to a Fulcio CA of the trust root
 * valid at that time.  *chain gets the first verified path (leaf first). */
static int check_chain(X509 *leaf, const lc_ss_trust *t, const int64_t *times, size_t ntimes, STACK_OF(X509) * *chain,
		       char *err, size_t errlen)
{
	*chain = NULL;
	for (size_t k = 0; k < ntimes; k++) {
		int ok = 0;
		char ts[40];
		const char *why = "no Fulcio CA of the trust root is valid at that time";
		fmt_time(times[k], ts, sizeof ts);
		for (size_t i = 0; i < t->ncas && !ok; i++) {
			const lc_ss_ca *ca = &t->cas[i];
			if (times[k] > INT64_MAX / 1000 || !in_range(times[k] * 1000, ca->start_ms, ca->end_ms))
				continue;
			X509_STORE *st = X509_STORE_new();
			X509_STORE_CTX *ctx = X509_STORE_CTX_new();
			if (!st || !ctx) {
				X509_STORE_free(st);
				X509_STORE_CTX_free(ctx);
				return LC_MS_ERROR;
			}
			for (int j = 0; j < sk_X509_num(ca->certs); j++)
				X509_STORE_add_cert(st, sk_X509_value(ca->certs, j));
			/* the whole path to a self-signed root, strictly, as
			 * sigstore-python configures OpenSSL */
			X509_STORE_set_flags(st, X509_V_FLAG_X509_STRICT);
			if (X509_STORE_CTX_init(ctx, st, leaf, NULL) == 1) {
				X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)times[k]);
				ok = X509_verify_cert(ctx) == 1;
				if (ok && !*chain)
					*chain = X509_STORE_CTX_get1_chain(ctx);
				if (!ok)
					why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
			}
			X509_STORE_CTX_free(ctx);
			X509_STORE_free(st);
		}
		ERR_clear_error();
		if (!ok) {
			seterr(err, errlen, "certificate chain: the signing certificate does not chain to a Fulcio CA of "
					    "the trust root at %s: %s",
			       ts, why);
			return LC_MS_REJECT;
		}
	}
	if (!*chain || sk_X509_num(*chain) < 2) {
		seterr(err, errlen, "certificate chain: no issuer");
		return LC_MS_REJECT;
	}
	return LC_MS_OK;
}

static int has_eku_oid(X509 *x, const char *oid_txt)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	ASN1_OBJECT *want = OBJ_txt2obj(oid_txt, 1);
	int found = 0;
	for (int i = 0; eku && want && i < sk_ASN1_OBJECT_num(eku) && !found; i++)
		found = OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0;
	ASN1_OBJECT_free(want);
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
	return found;
}

/* Index of the only extension with this OID; -1 absent, -2 repeated. */
static int only_ext(X509 *x, const char *oid_txt)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid_txt, 1);
	if (!o)
		return -1;
	int i = X509_get_ext_by_OBJ(x, o, -1);
	int again = i >= 0 ? X509_get_ext_by_OBJ(x, o, i) : -1;
	ASN1_OBJECT_free(o);
	return again >= 0 ? -2 : i;
}

/* An embedded SCT signed by a CT log of the trust root over the
 * precertificate (TBS without the SCT list) and the issuer's key hash. */
static int check_sct(X509 *leaf, const unsigned char *leaf_der, size_t leaf_len, STACK_OF(X509) * chain,
		     const lc_ss_trust *t, char *err, size_t errlen)
{
	int xi = only_ext(leaf, OID_TXT_SCT_LIST);
	if (xi < 0) {
		seterr(err, errlen, "SCT: the signing certificate has %s embedded SCT list",
		       xi == -2 ? "more than one" : "no");
		return LC_MS_REJECT;
	}
	const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, xi));
	const unsigned char *d = ASN1_STRING_get0_data(os);
	size_t dl = (size_t)ASN1_STRING_length(os), off = 0, cs, cl;
	unsigned char tag;
	if (der_tlv(d, dl, &off, &tag, &cs, &cl) != 0 || tag != 0x04 || off != dl) {
		seterr(err, errlen, "SCT: the SCT list extension is not an OCTET STRING");
		return LC_MS_REJECT;
	}
	lc_ss_sct scts[LC_SS_MAX_SCTS];
	size_t nsct = 0;
	if (lc_ss_sct_list_parse(d + cs, cl, scts, LC_SS_MAX_SCTS, &nsct) != 0) {
		seterr(err, errlen, "SCT: malformed SignedCertificateTimestampList");
		return LC_MS_REJECT;
	}
	/* the issuer: chain[1], or the CA above it when chain[1] is a CT
	 * precertificate signing certificate */
	X509 *issuer = sk_X509_value(chain, 1);
	if (has_eku_oid(issuer, OID_TXT_CT_PRECERT_SIGNING)) {
		if (sk_X509_num(chain) < 3) {
			seterr(err, errlen, "SCT: the precertificate signer has no issuer in the chain");
			return LC_MS_REJECT;
		}
		issuer = sk_X509_value(chain, 2);
	}
	if (X509_check_ca(issuer) < 1) {
		seterr(err, errlen, "SCT: the issuer of the signing certificate is not a CA");
		return LC_MS_REJECT;
	}
	unsigned char ikh[32], *spki = NULL, *tbs = NULL;
	int sl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	if (sl <= 0)
		return LC_MS_ERROR;
	sha256(spki, (size_t)sl, ikh);
	OPENSSL_free(spki);
	size_t tbsl = 0;
	if (lc_ss_tbs_without_ext(leaf_der, leaf_len, OID_SCT_LIST, sizeof OID_SCT_LIST, &tbs, &tbsl) != 0) {
		seterr(err, errlen, "SCT: cannot rebuild the precertificate TBS from the signing certificate");
		return LC_MS_REJECT;
	}
	int verified = 0;
	char why[200] = "";
	for (size_t i = 0; i < nsct && !verified; i++) {
		const lc_ss_sct *s = &scts[i];
		char idhex[65];
		hex(s->log_id, 32, idhex);
		const lc_ss_key *k = find_key(t->ctlogs, t->nctlogs, s->log_id);
		if (s->version != 0 || s->hash_alg != 4) {
			snprintf(why, sizeof why, "SCT %zu is not a v1 SHA-256 SCT", i);
			continue;
		}
		if (!k) {
			snprintf(why, sizeof why, "SCT %zu is from log %s, not a CT log of the trust root", i, idhex);
			continue;
		}
		if (s->timestamp > (uint64_t)INT64_MAX || !in_range((int64_t)s->timestamp, k->start_ms, k->end_ms)) {
			snprintf(why, sizeof why, "SCT %zu is dated outside the validity of CT log %s", i, idhex);
			continue;
		}
		int kt = EVP_PKEY_get_base_id(k->pkey);
		if (!((s->sig_alg == 3 && kt == EVP_PKEY_EC) || (s->sig_alg == 1 && kt == EVP_PKEY_RSA))) {
			snprintf(why, sizeof why, "SCT %zu: signature algorithm %u does not fit the key of CT log %s", i,
				 s->sig_alg, idhex);
			continue;
		}
		size_t n = 0;
		unsigned char *signed_data = lc_ss_sct_signed_data(s, ikh, tbs, tbsl, &n);
		if (!signed_data) {
			free(tbs);
			return LC_MS_ERROR;
		}
		verified = verify_sig(k->pkey, EVP_sha256(), s->sig, s->siglen, signed_data, n);
		free(signed_data);
		if (!verified)
			snprintf(why, sizeof why, "the signature of SCT %zu does not verify with CT log %s", i, idhex);
	}
	free(tbs);
	if (!verified) {
		seterr(err, errlen, "SCT: no embedded SCT verifies (%s)", why);
		return LC_MS_REJECT;
	}
	return LC_MS_OK;
}

/* The Sigstore X.509 profile: KeyUsage digitalSignature, EKU codeSigning. */
static int check_profile(X509 *leaf, char *err, size_t errlen)
{
	uint32_t f = X509_get_extension_flags(leaf);
	if (!(f & EXFLAG_KUSAGE) || !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
		seterr(err, errlen, "signing certificate: KeyUsage is not digitalSignature");
		return LC_MS_REJECT;
	}
	if (!(f & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN)) {
		seterr(err, errlen, "signing certificate: ExtendedKeyUsage does not contain codeSigning");
		return LC_MS_REJECT;
	}
	return LC_MS_OK;
}

static int str_is(const unsigned char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

static void add_printable(char *buf, size_t cap, const unsigned char *s, size_t n)
{
	size_t l = strlen(buf);
	if (l && l + 2 < cap) {
		buf[l++] = ',';
		buf[l++] = ' ';
	}
	for (size_t i = 0; i < n && l + 1 < cap; i++)
		buf[l++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	buf[l] = 0;
}

/* The identity policy: the OIDC issuer extension (1.3.6.1.4.1.57264.1.8, a
 * DER UTF8String; the legacy 1.3.6.1.4.1.57264.1.1 holds the raw bytes)
 * equals issuer -- every one present must -- and one SAN (email, URI or the
 * Sigstore otherName) equals identity. */
static int check_identity(X509 *leaf, const char *identity, const char *issuer, lc_ss_result *res, char *err,
			  size_t errlen)
{
	int v2 = only_ext(leaf, OID_TXT_ISSUER_V2), v1 = only_ext(leaf, OID_TXT_ISSUER_V1);
	if (v2 == -2 || v1 == -2 || (v2 < 0 && v1 < 0)) {
		seterr(err, errlen, "identity: the signing certificate has %s OIDC issuer extension",
		       v2 == -2 || v1 == -2 ? "a repeated" : "no");
		return LC_MS_REJECT;
	}
	char got[300] = "";
	int match = 1;
	if (v2 >= 0) {
		const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, v2));
		const unsigned char *d = ASN1_STRING_get0_data(os);
		size_t dl = (size_t)ASN1_STRING_length(os), off = 0, cs, cl;
		unsigned char tag;
		if (der_tlv(d, dl, &off, &tag, &cs, &cl) != 0 || tag != 0x0c || off != dl) {
			seterr(err, errlen, "identity: the OIDC issuer extension is not a UTF8String");
			return LC_MS_REJECT;
		}
		add_printable(got, sizeof got, d + cs, cl);
		match = str_is(d + cs, cl, issuer);
	}
	if (v1 >= 0 && match) {
		const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, v1));
		size_t dl = (size_t)ASN1_STRING_length(os);
		if (!got[0])
			add_printable(got, sizeof got, ASN1_STRING_get0_data(os), dl);
		match = str_is(ASN1_STRING_get0_data(os), dl, issuer);
	}
	if (!match) {
		seterr(err, errlen, "identity: the certificate's OIDC issuer is %s, not %s", got, issuer);
		return LC_MS_REJECT;
	}
	int crit = 0;
	GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);
	ASN1_OBJECT *other = OBJ_txt2obj(OID_TXT_OTHERNAME, 1);
	char sans[600] = "";
	int found = 0;
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *s = NULL;
		if (g->type == GEN_EMAIL || g->type == GEN_URI)
			s = g->d.ia5;
		else if (g->type == GEN_OTHERNAME && other && OBJ_cmp(g->d.otherName->type_id, other) == 0 &&
			 g->d.otherName->value->type == V_ASN1_UTF8STRING)
			s = g->d.otherName->value->value.utf8string;
		if (!s)
			continue;
		add_printable(sans, sizeof sans, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		found = str_is(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), identity);
	}
	ASN1_OBJECT_free(other);
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	if (!found) {
		seterr(err, errlen, "identity: the certificate's SANs (%s) do not include %s", sans[0] ? sans : "none",
		       identity);
		return LC_MS_REJECT;
	}
	if (res) {
		snprintf(res->identity, sizeof res->identity, "%s", identity);
		snprintf(res->issuer, sizeof res->issuer, "%s", issuer);
	}
	return LC_MS_OK;
}

/* The entry was integrated while the short-lived certificate was valid. */
static int check_integrated_in_validity(X509 *leaf, const tlog *tl, char *err, size_t errlen)
{
	int ok1, ok2;
	int64_t nb = asn1_time_s(X509_get0_notBefore(leaf), &ok1), na = asn1_time_s(X509_get0_notAfter(leaf), &ok2);
	if (!ok1 || !ok2 || tl->integrated_time < nb || tl->integrated_time > na) {
		char it[40];
		fmt_time(tl->integrated_time, it, sizeof it);
		seterr(err, errlen, "signing certificate: not valid at the Rekor integrated time %s", it);
		return LC_MS_REJECT;
	}
	return LC_MS_OK;
}

/* The DSSE signature over PAE(payloadType, payload) by the leaf's key. */
static int check_dsse_signature(X509 *leaf, const char *ptype, const unsigned char *payload, size_t plen,
				const unsigned char *sig, size_t siglen, char *err, size_t errlen)
{
	EVP_PKEY *k = X509_get0_pubkey(leaf);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		seterr(err, errlen, "DSSE: the signing certificate's key is not an EC key");
		return LC_MS_REJECT;
	}
	char g[64];
	const char *grp = group_name(k, g, sizeof g);
	const EVP_MD *curve_md = strcmp(grp, "secp384r1") == 0   ? EVP_sha384()
				 : strcmp(grp, "secp521r1") == 0 ? EVP_sha512()
								 : EVP_sha256();
	size_t n = 0;
	unsigned char *pae = lc_ms_pae(ptype, payload, plen, &n);
	if (!pae)
		return LC_MS_ERROR;
	int ok = verify_sig(k, EVP_sha256(), sig, siglen, pae, n) ||
		 (curve_md != EVP_sha256() && verify_sig(k, curve_md, sig, siglen, pae, n));
	free(pae);
	if (!ok) {
		seterr(err, errlen, "DSSE: the envelope signature does not verify with the signing certificate's key");
		return LC_MS_REJECT;
	}
	return LC_MS_OK;
}

int lc_ss_verify_bundle(json_t *bundle, const unsigned char *payload, size_t plen, const char *ptype,
			const unsigned char *sig, size_t siglen, const lc_ss_trust *t, const char *identity,
			const char *issuer, FILE *warn, lc_ss_result *res, char *err, size_t errlen)
{
	if (!t || t->ntlogs == 0 || t->ncas == 0) {
		seterr(err, errlen, "keyless verification needs a trust root (--trust-config)");
		return LC_MS_ERROR;
	}
	if (!identity || !issuer)
		return LC_MS_ERROR;
	if (res)
		memset(res, 0, sizeof *res);
	json_t *vm = jget(bundle, "verificationMaterial", "verification_material");
	tlog tl = {0};
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	unsigned char *leaf_der = NULL;
	size_t leaf_len = 0;
	int rc = LC_MS_REJECT;
	int64_t times[MAX_TIMESTAMPS + 1];
	size_t ntimes = 0;
	int ntsa = 0;
	/* v0.3 bundles carry the Fulcio leaf alone */
	if (jb64(jget(vm, "certificate", NULL), "rawBytes", "raw_bytes", MAX_DER, &leaf_der, &leaf_len) != 0 ||
	    !(leaf = der_to_x509(leaf_der, leaf_len))) {
		seterr(err, errlen, "the bundle has no signing certificate (verificationMaterial.certificate); "
				    "keyless bundles carry the Fulcio certificate");
		goto out;
	}
	/* the transparency log entry: body, inclusion proof, checkpoint, SET */
	if ((rc = read_tlog(vm, t, &tl, err, errlen)) != LC_MS_OK)
		goto out;
	if ((rc = check_tlog_body(&tl, payload, plen, sig, siglen, leaf_der, leaf_len, err, errlen)) != LC_MS_OK)
		goto out;
	json_t *ip = jget(tl.entry, "inclusionProof", "inclusion_proof");
	if (!json_is_object(ip)) {
		seterr(err, errlen, "Rekor entry: no inclusion proof (bundles v0.2 and later must carry one)");
		rc = LC_MS_REJECT;
		goto out;
	}
	unsigned char root[32];
	uint64_t tree_size = 0;
	if ((rc = check_inclusion_proof(&tl, ip, root, &tree_size, err, errlen)) != LC_MS_OK ||
	    (rc = check_checkpoint(&tl, ip, root, tree_size, err, errlen)) != LC_MS_OK)
		goto out;
	if (tl.has_promise && (rc = check_set(&tl, err, errlen)) != LC_MS_OK)
		goto out;
	/* time, chain, SCT, profile, identity */
	if ((rc = establish_times(vm, &tl, sig, siglen, t, times, &ntimes, &ntsa, warn, err, errlen)) != LC_MS_OK ||
	    (rc = check_chain(leaf, t, times, ntimes, &chain, err, errlen)) != LC_MS_OK ||
	    (rc = check_sct(leaf, leaf_der, leaf_len, chain, t, err, errlen)) != LC_MS_OK ||
	    (rc = check_profile(leaf, err, errlen)) != LC_MS_OK ||
	    (rc = check_identity(leaf, identity, issuer, res, err, errlen)) != LC_MS_OK ||
	    (rc = check_integrated_in_validity(leaf, &tl, err, errlen)) != LC_MS_OK ||
	    (rc = check_dsse_signature(leaf, ptype, payload, plen, sig, siglen, err, errlen)) != LC_MS_OK)
		goto out;
	if (res) {
		res->integrated_time = tl.integrated_time;
		res->log_index = tl.log_index;
		res->ntsa = ntsa;
	}
	rc = LC_MS_OK;
out:
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	free(leaf_der);
	free(tl.body);
	free(tl.body_b64);
	return rc;
}
