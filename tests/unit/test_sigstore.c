/*
 * Offline keyless verification (supply/sigstore.c), without the shared
 * corpus: RFC 6962 Merkle roots and audit paths (the RFC's test leaves),
 * the canonical SET payload, RFC 3339 times, checkpoints, SCT lists, the
 * precertificate TBS; then whole bundles made here with a private Sigstore
 * (a Fulcio-like CA, a CT log and a Rekor log key, all P-256): the good one
 * verifies, and each broken variant is rejected by the check that names it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "harness.h"
#include "supply/modelsign.h"
#include "supply/sigstore.h"

static void sha(const void *d, size_t n, unsigned char out[32]) { EVP_Digest(d, n, out, NULL, EVP_sha256(), NULL); }

static int unhex(const char *h, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* ---- Merkle: RFC 6962 definitions, recursive, independent of the code ---- */

static const unsigned char *leaves[64];
static size_t leaflen[64];

static void mth(size_t lo, size_t hi, unsigned char out[32])
{
	if (hi - lo == 1) {
		lc_ss_leaf_hash(leaves[lo], leaflen[lo], out);
		return;
	}
	size_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	unsigned char l[32], r[32];
	mth(lo, lo + k, l);
	mth(lo + k, hi, r);
	lc_ss_node_hash(l, r, out);
}

/* PATH(m, D[lo:hi]) of RFC 6962 section 2.1.1, appended to proof */
static void path(size_t m, size_t lo, size_t hi, unsigned char (*proof)[32], size_t *n)
{
	if (hi - lo <= 1)
		return;
	size_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	if (m < k) {
		path(m, lo, lo + k, proof, n);
		mth(lo + k, hi, proof[(*n)++]);
	} else {
		path(m - k, lo + k, hi, proof, n);
		mth(lo, lo + k, proof[(*n)++]);
	}
}

static void test_merkle(void)
{
	/* the RFC 6962 test leaves and the roots of their first 1..8 */
	static const unsigned char l0[] = {0}, l1[] = {0x00}, l2[] = {0x10}, l3[] = {0x20, 0x21}, l4[] = {0x30, 0x31},
				   l5[] = {0x40, 0x41, 0x42, 0x43},
				   l6[] = {0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
				   l7[] = {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
					   0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f};
	const unsigned char *ls[] = {l0, l1, l2, l3, l4, l5, l6, l7};
	size_t ll[] = {0, 1, 1, 2, 2, 4, 8, 16};
	static const char *roots[] = {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	for (int i = 0; i < 8; i++) {
		leaves[i] = ls[i];
		leaflen[i] = ll[i];
	}
	for (size_t n = 1; n <= 8; n++) {
		unsigned char want[32], got[32];
		unhex(roots[n - 1], want, 32);
		mth(0, n, got);
		CHECK_MSG(memcmp(got, want, 32) == 0, "MTH of %zu leaves", n);
	}
	/* every leaf of every tree up to 8 (RFC leaves) and up to 40 (more
	 * leaves): the audit path leads back to the root, and only it */
	static unsigned char extra[64][4];
	for (size_t i = 8; i < 64; i++) {
		memcpy(extra[i], &i, sizeof extra[i] < sizeof i ? sizeof extra[i] : sizeof i);
		leaves[i] = extra[i];
		leaflen[i] = 4;
	}
	int all = 1, wrong_len_refused = 1, tamper_detected = 1;
	for (size_t n = 1; n <= 40; n++) {
		unsigned char root[32];
		mth(0, n, root);
		for (size_t m = 0; m < n; m++) {
			unsigned char proof[64][32], leaf[32], got[32];
			size_t np = 0;
			path(m, 0, n, proof, &np);
			lc_ss_leaf_hash(leaves[m], leaflen[m], leaf);
			char err[200];
			all &= lc_ss_merkle_root(leaf, m, n, (const unsigned char(*)[32])proof, np, got, err, sizeof err) ==
				   0 &&
			       memcmp(got, root, 32) == 0;
			/* one hash more or less: refused by the length check */
			if (np > 0)
				wrong_len_refused &= lc_ss_merkle_root(leaf, m, n, (const unsigned char(*)[32])proof,
								       np - 1, got, err, sizeof err) != 0;
			memcpy(proof[np], proof[0], 32);
			wrong_len_refused &= lc_ss_merkle_root(leaf, m, n, (const unsigned char(*)[32])proof, np + 1,
							       got, err, sizeof err) != 0;
			if (np > 0) {
				proof[np / 2][7] ^= 0x40;
				tamper_detected &= lc_ss_merkle_root(leaf, m, n, (const unsigned char(*)[32])proof, np,
								     got, err, sizeof err) != 0 ||
						   memcmp(got, root, 32) != 0;
			}
		}
	}
	CHECK(all);
	CHECK(wrong_len_refused);
	CHECK(tamper_detected);
	unsigned char leaf[32], got[32];
	char err[200];
	lc_ss_leaf_hash(l0, 0, leaf);
	CHECK(lc_ss_merkle_root(leaf, 5, 5, NULL, 0, got, err, sizeof err) != 0); /* index >= size */
	CHECK(lc_ss_merkle_root(leaf, 0, 1, NULL, 0, got, err, sizeof err) == 0 && memcmp(got, leaf, 32) == 0);
}

static void test_set_payload(void)
{
	size_t n = 0;
	char *p = lc_ss_set_payload("eyJhIjoxfQ==", 1746234602, "c0d23d6ad406973f", 206342049, &n);
	CHECK_STR(p, "{\"body\":\"eyJhIjoxfQ==\",\"integratedTime\":1746234602,\"logID\":\"c0d23d6ad406973f\","
		     "\"logIndex\":206342049}");
	CHECK(p && n == strlen(p));
	free(p);
	/* RFC 8785 string escapes */
	p = lc_ss_set_payload("a\"b\\c\n\x01/", 0, "", 0, NULL);
	CHECK_STR(p, "{\"body\":\"a\\\"b\\\\c\\n\\u0001/\",\"integratedTime\":0,\"logID\":\"\",\"logIndex\":0}");
	free(p);
}

static void test_time(void)
{
	int64_t ms = 0;
	CHECK(lc_ss_parse_time("1970-01-01T00:00:00Z", &ms) == 0 && ms == 0);
	CHECK(lc_ss_parse_time("2021-01-12T11:53:27.000Z", &ms) == 0 && ms == 1610452407000LL);
	CHECK(lc_ss_parse_time("2022-12-31T23:59:59.999Z", &ms) == 0 && ms == 1672531199999LL);
	CHECK(lc_ss_parse_time("2024-02-29T12:00:00+02:00", &ms) == 0 && ms == 1709200800000LL);
	CHECK(lc_ss_parse_time("2025-10-10T02:12:20.5Z", &ms) == 0 && ms == 1760062340500LL);
	CHECK(lc_ss_parse_time("2023-02-29T00:00:00Z", &ms) != 0); /* not a leap year */
	CHECK(lc_ss_parse_time("2023-01-01T00:00:00", &ms) != 0);  /* no zone */
	CHECK(lc_ss_parse_time("2023-01-01 00:00:00Z", &ms) != 0);
	CHECK(lc_ss_parse_time("2023-01-01T24:00:00Z", &ms) != 0);
	CHECK(lc_ss_parse_time("2023-01-01T00:00:00.Z", &ms) != 0);
	CHECK(lc_ss_parse_time("2023-01-01T00:00:00Zjunk", &ms) != 0);
	CHECK(lc_ss_parse_time("", &ms) != 0);
}

static void test_checkpoint(void)
{
	const char good[] = "rekor.sigstore.dev - 1193050959916656506\n476246825\n"
			    "V0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n"
			    "\xe2\x80\x94 rekor.sigstore.dev wNI9ajBFAiBtV0gov0pC7kBG6WPaApxiUudh/9C4XyIybO93bBSVwQIhAIbRCl/"
			    "2O4fJ83ik6SiLnFx3ipedmkvKoQ9ykKvQYdS4\n";
	lc_ss_checkpoint cp;
	char err[200];
	CHECK(lc_ss_checkpoint_parse(good, sizeof good - 1, &cp, err, sizeof err) == 0);
	CHECK_STR(cp.origin, "rekor.sigstore.dev - 1193050959916656506");
	CHECK(cp.size == 476246825);
	CHECK(cp.text_len == strlen("rekor.sigstore.dev - 1193050959916656506\n476246825\n"
				    "V0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n"));
	CHECK(cp.nsigs == 1 && memcmp(cp.sigs[0].hint, "\xc0\xd2\x3d\x6a", 4) == 0 && cp.sigs[0].siglen == 71);
	CHECK_STR(cp.sigs[0].name, "rekor.sigstore.dev");
	static const char *const bad[] = {
	    "o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n",                     /* no signatures */
	    "o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\n\n",               /* two blank lines */
	    "o\n1\nAAAA\n\n\xe2\x80\x94 n wNI9ajBF\n",                                   /* short root */
	    "o\nx1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\xe2\x80\x94 n wNI9ajBF\n", /* size */
	    "o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n- n wNI9ajBF\n",     /* no em dash */
	    "o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\xe2\x80\x94 n wNI9\n", /* < 5 bytes */
	    "o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\xe2\x80\x94 n wNI9ajBF", /* no newline */
	    "\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\xe2\x80\x94 n wNI9ajBF\n", /* no origin */
	    "o\n1\n\n\xe2\x80\x94 n wNI9ajBF\n",                                        /* 2 lines */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_MSG(lc_ss_checkpoint_parse(bad[i], strlen(bad[i]), &cp, err, sizeof err) != 0, "bad[%zu]", i);
}

static void test_sct_list(void)
{
	/* one SCT: v1, log id 0x11.., timestamp 0x0102..08, no extension,
	 * sha256/ecdsa, 3-byte signature */
	unsigned char sct[1 + 32 + 8 + 2 + 4 + 3];
	size_t k = 0;
	sct[k++] = 0;
	memset(sct + k, 0x11, 32);
	k += 32;
	for (int i = 1; i <= 8; i++)
		sct[k++] = (unsigned char)i;
	sct[k++] = 0;
	sct[k++] = 0;
	sct[k++] = 4;
	sct[k++] = 3;
	sct[k++] = 0;
	sct[k++] = 3;
	sct[k++] = 0xaa;
	sct[k++] = 0xbb;
	sct[k++] = 0xcc;
	unsigned char list[2 + 2 + sizeof sct];
	list[0] = 0;
	list[1] = (unsigned char)(2 + sizeof sct);
	list[2] = 0;
	list[3] = (unsigned char)sizeof sct;
	memcpy(list + 4, sct, sizeof sct);
	lc_ss_sct out[4];
	size_t n = 0;
	CHECK(lc_ss_sct_list_parse(list, sizeof list, out, 4, &n) == 0 && n == 1);
	CHECK(out[0].version == 0 && out[0].log_id[31] == 0x11 && out[0].timestamp == 0x0102030405060708ULL);
	CHECK(out[0].hash_alg == 4 && out[0].sig_alg == 3 && out[0].siglen == 3 && out[0].sig[2] == 0xcc);
	CHECK(out[0].extlen == 0);
	/* signed data layout of RFC 6962 section 3.2 */
	unsigned char ikh[32], tbs[3] = {0x30, 0x01, 0x00};
	memset(ikh, 0x22, 32);
	size_t dl = 0;
	unsigned char *d = lc_ss_sct_signed_data(&out[0], ikh, tbs, 3, &dl);
	CHECK(d && dl == 1 + 1 + 8 + 2 + 32 + 3 + 3 + 2);
	if (d) {
		CHECK(d[0] == 0 && d[1] == 0 && d[2] == 1 && d[9] == 8 && d[10] == 0 && d[11] == 1);
		CHECK(d[12] == 0x22 && d[44] == 0 && d[45] == 0 && d[46] == 3 && d[47] == 0x30 && d[50] == 0 &&
		      d[51] == 0);
	}
	free(d);
	/* every truncation, a wrong total length, a trailing byte: refused */
	int all = 1;
	for (size_t len = 0; len < sizeof list; len++)
		all &= lc_ss_sct_list_parse(list, len, out, 4, &n) != 0;
	CHECK(all);
	list[1]++;
	CHECK(lc_ss_sct_list_parse(list, sizeof list, out, 4, &n) != 0);
	list[1]--;
	unsigned char empty[2] = {0, 0};
	CHECK(lc_ss_sct_list_parse(empty, 2, out, 4, &n) != 0);
	CHECK(lc_ss_sct_list_parse(list, sizeof list, out, 0, &n) != 0); /* more than max */
}

/* ---- a private Sigstore -------------------------------------------------- */

#define T0 1700000000LL /* the leaf's notBefore; the entry is integrated at T0 + 5 */

static EVP_PKEY *ca_key, *ct_key, *rekor_key, *leaf_key, *other_key;
static X509 *ca_cert;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX c;
	X509V3_set_ctx(&c, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &c, nid, value);
	if (!e || !X509_add_ext(x, e, -1))
		fprintf(stderr, "extension %d=%s failed\n", nid, value);
	X509_EXTENSION_free(e);
}

static void add_raw_ext(X509 *x, const char *oid, const unsigned char *val, size_t n)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(os, val, (int)n);
	X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(o);
}

static void set_validity(X509 *x, int64_t from, int64_t to)
{
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)from);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)to);
}

static void make_ca(void)
{
	ca_key = EVP_EC_gen("P-256");
	ct_key = EVP_EC_gen("P-256");
	rekor_key = EVP_EC_gen("P-256");
	leaf_key = EVP_EC_gen("P-256");
	other_key = EVP_EC_gen("P-256");
	ca_cert = X509_new();
	X509_set_version(ca_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(ca_cert), 1);
	X509_NAME *nm = X509_get_subject_name(ca_cert);
	X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"laocoon test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"test fulcio", -1, -1, 0);
	X509_set_issuer_name(ca_cert, nm);
	set_validity(ca_cert, T0 - 86400 * 365, T0 + 86400 * 3650);
	X509_set_pubkey(ca_cert, ca_key);
	add_ext(ca_cert, NULL, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(ca_cert, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext(ca_cert, NULL, NID_subject_key_identifier, "hash");
	add_ext(ca_cert, NULL, NID_authority_key_identifier, "keyid:always");
	X509_sign(ca_cert, ca_key, EVP_sha256());
}

static void key_id(EVP_PKEY *k, unsigned char id[32])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	sha(der, (size_t)n, id);
	OPENSSL_free(der);
}

static char *b64(const void *d, size_t n) { return lc_ms_b64_encode(d, n); }

static unsigned char *sign(EVP_PKEY *k, const void *d, size_t n, size_t *siglen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	*siglen = 0;
	EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k);
	EVP_DigestSign(c, NULL, siglen, d, n);
	unsigned char *s = malloc(*siglen);
	EVP_DigestSign(c, s, siglen, d, n);
	EVP_MD_CTX_free(c);
	return s;
}

typedef struct {
	int no_sct, sct_over_other_tbs, intoto, dsse_other_key, no_promise, late_integration;
	const char *issuer_ext; /* NULL: the default */
} variant;

/* A ClientTrustConfig for the private Sigstore. */
static char *trust_json(void)
{
	unsigned char *der = NULL;
	int n = i2d_X509(ca_cert, &der);
	char *ca64 = b64(der, (size_t)n);
	OPENSSL_free(der);
	der = NULL;
	n = i2d_PUBKEY(ct_key, &der);
	char *ct64 = b64(der, (size_t)n);
	OPENSSL_free(der);
	der = NULL;
	n = i2d_PUBKEY(rekor_key, &der);
	char *rk64 = b64(der, (size_t)n);
	OPENSSL_free(der);
	json_t *t = json_pack(
	    "{s:s,s:{s:s,s:[{s:s,s:s,s:{s:s,s:s,s:{s:s}}}],s:[{s:{s:[{s:s}]},s:{s:s}}],"
	    "s:[{s:s,s:{s:s,s:s,s:{s:s}}}]}}",
	    "mediaType", "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json", "trustedRoot", "mediaType",
	    "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs", "baseUrl", "https://rekor.test",
	    "hashAlgorithm", "SHA2_256", "publicKey", "rawBytes", rk64, "keyDetails", "PKIX_ECDSA_P256_SHA_256",
	    "validFor", "start", "2020-01-01T00:00:00Z", "certificateAuthorities", "certChain", "certificates",
	    "rawBytes", ca64, "validFor", "start", "2020-01-01T00:00:00Z", "ctlogs", "baseUrl", "https://ct.test",
	    "publicKey", "rawBytes", ct64, "keyDetails", "PKIX_ECDSA_P256_SHA_256", "validFor", "start",
	    "2020-01-01T00:00:00Z");
	char *s = json_dumps(t, JSON_COMPACT);
	json_decref(t);
	free(ca64);
	free(ct64);
	free(rk64);
	return s;
}

/* The Fulcio-like leaf with an embedded SCT; its DER in *der. */
static X509 *make_leaf(const variant *v, unsigned char **der, size_t *derlen)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_set_issuer_name(x, X509_get_subject_name(ca_cert));
	set_validity(x, T0, T0 + 600);
	X509_set_pubkey(x, leaf_key);
	add_ext(x, ca_cert, NID_key_usage, "critical,digitalSignature");
	add_ext(x, ca_cert, NID_ext_key_usage, "codeSigning");
	add_ext(x, ca_cert, NID_subject_key_identifier, "hash");
	add_ext(x, ca_cert, NID_authority_key_identifier, "keyid:always");
	add_ext(x, ca_cert, NID_subject_alt_name, "critical,email:signer@example.com");
	const char *iss = v->issuer_ext ? v->issuer_ext : "https://issuer.example";
	add_raw_ext(x, "1.3.6.1.4.1.57264.1.1", (const unsigned char *)iss, strlen(iss));
	unsigned char u8[200];
	u8[0] = 0x0c;
	u8[1] = (unsigned char)strlen(iss);
	memcpy(u8 + 2, iss, strlen(iss));
	add_raw_ext(x, "1.3.6.1.4.1.57264.1.8", u8, 2 + strlen(iss));
	if (!v->no_sct) {
		/* the precertificate TBS: this certificate before the SCT list */
		unsigned char *tbs = NULL;
		X509_sign(x, ca_key, EVP_sha256()); /* sets the TBS signature algorithm */
		int tl = i2d_re_X509_tbs(x, &tbs);
		if (v->sct_over_other_tbs)
			tbs[tl - 1] ^= 1;
		unsigned char ikh[32], logid[32];
		key_id(ca_key, ikh);
		key_id(ct_key, logid);
		uint64_t ts = (uint64_t)T0 * 1000 + 1;
		/* digitally-signed struct, laid out by hand (RFC 6962 3.2) */
		size_t sdl = 12 + 32 + 3 + (size_t)tl + 2;
		unsigned char *sd = malloc(sdl), *p = sd;
		*p++ = 0;
		*p++ = 0;
		for (int i = 7; i >= 0; i--)
			*p++ = (unsigned char)(ts >> (8 * i));
		*p++ = 0;
		*p++ = 1;
		memcpy(p, ikh, 32);
		p += 32;
		*p++ = (unsigned char)(tl >> 16);
		*p++ = (unsigned char)(tl >> 8);
		*p++ = (unsigned char)tl;
		memcpy(p, tbs, (size_t)tl);
		p += tl;
		*p++ = 0;
		*p++ = 0;
		size_t sl = 0;
		unsigned char *sig = sign(ct_key, sd, sdl, &sl);
		free(sd);
		OPENSSL_free(tbs);
		/* SignedCertificateTimestampList inside an OCTET STRING */
		size_t sctl = 1 + 32 + 8 + 2 + 4 + sl, listl = 2 + sctl;
		unsigned char ext[400];
		size_t k = 0;
		ext[k++] = 0x04;
		ext[k++] = (unsigned char)(2 + listl);
		ext[k++] = (unsigned char)(listl >> 8);
		ext[k++] = (unsigned char)listl;
		ext[k++] = (unsigned char)(sctl >> 8);
		ext[k++] = (unsigned char)sctl;
		ext[k++] = 0;
		memcpy(ext + k, logid, 32);
		k += 32;
		for (int i = 7; i >= 0; i--)
			ext[k++] = (unsigned char)(ts >> (8 * i));
		ext[k++] = 0;
		ext[k++] = 0;
		ext[k++] = 4;
		ext[k++] = 3;
		ext[k++] = (unsigned char)(sl >> 8);
		ext[k++] = (unsigned char)sl;
		memcpy(ext + k, sig, sl);
		k += sl;
		free(sig);
		add_raw_ext(x, "1.3.6.1.4.1.11129.2.4.2", ext, k);
	}
	X509_sign(x, ca_key, EVP_sha256());
	*der = NULL;
	int n = i2d_X509(x, der);
	*derlen = (size_t)n;
	return x;
}

/* A whole bundle (JSON text) over payload, logged at index 3 of a 5-leaf
 * tree. */
static char *make_bundle(const variant *v, const char *payload)
{
	unsigned char *leaf_der = NULL;
	size_t leaf_len = 0;
	X509 *leaf = make_leaf(v, &leaf_der, &leaf_len);
	size_t pl = strlen(payload), pael = 0, sigl = 0;
	unsigned char *pae = lc_ms_pae(LC_MS_PAYLOAD_TYPE, (const unsigned char *)payload, pl, &pael);
	unsigned char *sig = sign(v->dsse_other_key ? other_key : leaf_key, pae, pael, &sigl);
	free(pae);
	/* the log entry body */
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bio, leaf);
	char *pem = NULL;
	long peml = BIO_get_mem_data(bio, &pem);
	char *pem64 = b64(pem, (size_t)peml), *sig64 = b64(sig, sigl), *sig6464 = b64(sig64, strlen(sig64));
	BIO_free(bio);
	unsigned char ph[32];
	char phex[65];
	sha(payload, pl, ph);
	for (int i = 0; i < 32; i++)
		sprintf(phex + 2 * i, "%02x", ph[i]);
	json_t *body;
	if (v->intoto)
		body = json_pack("{s:s,s:s,s:{s:{s:{s:s,s:[{s:s,s:s}]},s:{s:s,s:s}}}}", "apiVersion", "0.0.2", "kind",
				 "intoto", "spec", "content", "envelope", "payloadType", LC_MS_PAYLOAD_TYPE,
				 "signatures", "sig", sig6464, "publicKey", pem64, "payloadHash", "algorithm", "sha256",
				 "value", phex);
	else
		body = json_pack("{s:s,s:s,s:{s:{s:s,s:s},s:[{s:s,s:s}]}}", "apiVersion", "0.0.1", "kind", "dsse", "spec",
				 "payloadHash", "algorithm", "sha256", "value", phex, "signatures", "signature", sig64,
				 "verifier", pem64);
	char *bodys = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	/* the tree: 5 leaves, ours at index 3 */
	static const char *const others[] = {"a", "bb", "ccc", NULL, "eeeee"};
	for (int i = 0; i < 5; i++) {
		leaves[i] = (const unsigned char *)(i == 3 ? bodys : others[i]);
		leaflen[i] = strlen((const char *)leaves[i]);
	}
	unsigned char root[32], proof[8][32];
	size_t np = 0;
	mth(0, 5, root);
	path(3, 0, 5, proof, &np);
	json_t *hashes = json_array();
	for (size_t i = 0; i < np; i++) {
		char *h = b64(proof[i], 32);
		json_array_append_new(hashes, json_string(h));
		free(h);
	}
	/* checkpoint signed by the log */
	unsigned char lid[32];
	key_id(rekor_key, lid);
	char *root64 = b64(root, 32);
	char note[400];
	snprintf(note, sizeof note, "rekor.test - 42\n5\n%s\n", root64);
	size_t nsl = 0;
	unsigned char *nsig = sign(rekor_key, note, strlen(note), &nsl);
	unsigned char hinted[200];
	memcpy(hinted, lid, 4);
	memcpy(hinted + 4, nsig, nsl);
	char *h64 = b64(hinted, 4 + nsl);
	char envelope[800];
	snprintf(envelope, sizeof envelope, "%s\n\xe2\x80\x94 rekor.test %s\n", note, h64);
	/* the SET */
	int64_t itime = v->late_integration ? T0 + 1000 : T0 + 5, lindex = 1234;
	char lidhex[65];
	for (int i = 0; i < 32; i++)
		sprintf(lidhex + 2 * i, "%02x", lid[i]);
	char *body64 = b64(bodys, strlen(bodys));
	size_t setpl = 0;
	char *setp = lc_ss_set_payload(body64, itime, lidhex, lindex, &setpl);
	size_t setl = 0;
	unsigned char *set = sign(rekor_key, setp, setpl, &setl);
	char *set64 = b64(set, setl), *lid64 = b64(lid, 32), *leaf64 = b64(leaf_der, leaf_len);
	char *pay64 = b64(payload, pl);
	char its[32], lis[32];
	snprintf(its, sizeof its, "%lld", (long long)itime);
	snprintf(lis, sizeof lis, "%lld", (long long)lindex);
	json_t *entry = json_pack("{s:s,s:{s:s},s:{s:s,s:s},s:s,s:{s:s,s:s,s:s,s:o,s:{s:s}},s:s}", "logIndex", lis,
				  "logId", "keyId", lid64, "kindVersion", "kind", v->intoto ? "intoto" : "dsse",
				  "version", v->intoto ? "0.0.2" : "0.0.1", "integratedTime", its, "inclusionProof",
				  "logIndex", "3", "rootHash", root64, "treeSize", "5", "hashes", hashes, "checkpoint",
				  "envelope", envelope, "canonicalizedBody", body64);
	if (!v->no_promise)
		json_object_set_new(entry, "inclusionPromise", json_pack("{s:s}", "signedEntryTimestamp", set64));
	json_t *b = json_pack("{s:s,s:{s:{s:s},s:[o],s:{}},s:{s:s,s:s,s:[{s:s}]}}", "mediaType",
			      LC_MS_BUNDLE_MEDIA_TYPE, "verificationMaterial", "certificate", "rawBytes", leaf64,
			      "tlogEntries", entry, "timestampVerificationData", "dsseEnvelope", "payload", pay64,
			      "payloadType", LC_MS_PAYLOAD_TYPE, "signatures", "sig", sig64);
	char *out = json_dumps(b, JSON_INDENT(2));
	json_decref(b);
	free(pay64);
	free(leaf64);
	free(lid64);
	free(set64);
	free(set);
	free(setp);
	free(body64);
	free(h64);
	free(nsig);
	free(root64);
	free(bodys);
	free(pem64);
	free(sig64);
	free(sig6464);
	free(sig);
	OPENSSL_free(leaf_der);
	X509_free(leaf);
	return out;
}

/* lc_ss_verify_bundle over a bundle text, as modelsign calls it. */
static int verify(const char *bundle, const lc_ss_trust *t, const char *identity, const char *issuer, char *err,
		  size_t errlen)
{
	json_t *b = json_loads(bundle, 0, NULL);
	json_t *env = json_object_get(b, "dsseEnvelope");
	const char *p64 = json_string_value(json_object_get(env, "payload"));
	const char *s64 = json_string_value(json_object_get(json_array_get(json_object_get(env, "signatures"), 0), "sig"));
	unsigned char *payload = NULL, *sig = NULL;
	size_t pl = 0, sl = 0;
	lc_ms_b64_decode(p64, strlen(p64), &payload, &pl);
	lc_ms_b64_decode(s64, strlen(s64), &sig, &sl);
	lc_ss_result res;
	err[0] = 0;
	int rc = lc_ss_verify_bundle(b, payload, pl, LC_MS_PAYLOAD_TYPE, sig, sl, t, identity, issuer, NULL, &res, err,
				     errlen);
	if (rc == LC_MS_OK && (strcmp(res.identity, identity) != 0 || res.integrated_time < T0 || res.log_index != 1234))
		rc = -1;
	free(payload);
	free(sig);
	json_decref(b);
	return rc;
}

#define ID "signer@example.com"
#define ISS "https://issuer.example"

static void expect_reject(const variant *v, const char *identity, const char *issuer, const char *cause,
			  const lc_ss_trust *t)
{
	char *b = make_bundle(v, "{\"_type\":\"x\"}");
	char err[1024];
	int rc = verify(b, t, identity, issuer, err, sizeof err);
	CHECK_MSG(rc == LC_MS_REJECT && strstr(err, cause), "want '%s', got rc %d: %s", cause, rc, err);
	free(b);
}

static void test_private_sigstore(void)
{
	make_ca();
	char *tj = trust_json();
	lc_ss_trust t;
	char err[1024] = "";
	CHECK_MSG(lc_ss_trust_load((const unsigned char *)tj, strlen(tj), &t, err, sizeof err) == LC_MS_OK, "%s", err);
	CHECK(t.ntlogs == 1 && t.nctlogs == 1 && t.ncas == 1 && t.ntsas == 0);

	/* the good bundle, as dsse 0.0.1 and as intoto 0.0.2 */
	variant good = {0}, v;
	char *b = make_bundle(&good, "{\"_type\":\"x\"}");
	int rc = verify(b, &t, ID, ISS, err, sizeof err);
	CHECK_MSG(rc == LC_MS_OK, "%s", err);
	/* the same through modelsign's dispatch: verified, then the statement
	 * is not a model-signing one (rejected there, not here) */
	lc_ms_verify_opts o = {.mode = LC_MS_MODE_SIGSTORE, .sigstore_trust = &t, .identity = ID, .issuer = ISS};
	lc_ms_manifest m;
	rc = lc_ms_verify_bundle((const unsigned char *)b, strlen(b), &o, &m, err, sizeof err);
	CHECK_MSG(rc == LC_MS_REJECT && !strstr(err, "identity") && !strstr(err, "Rekor"), "%d %s", rc, err);
	o.identity = "else@example.com";
	rc = lc_ms_verify_bundle((const unsigned char *)b, strlen(b), &o, &m, err, sizeof err);
	CHECK_MSG(rc == LC_MS_REJECT && strstr(err, "identity"), "%d %s", rc, err);
	o.sigstore_trust = NULL;
	CHECK(lc_ms_verify_bundle((const unsigned char *)b, strlen(b), &o, &m, err, sizeof err) == LC_MS_ERROR);
	free(b);
	v = good;
	v.intoto = 1;
	b = make_bundle(&v, "{\"_type\":\"y\"}");
	CHECK_MSG(verify(b, &t, ID, ISS, err, sizeof err) == LC_MS_OK, "intoto: %s", err);
	free(b);

	/* each check on its own */
	expect_reject(&good, "else@example.com", ISS, "identity: the certificate's SANs", &t);
	expect_reject(&good, ID, "https://other.example", "identity: the certificate's OIDC issuer", &t);
	v = good;
	v.issuer_ext = "https://issuer.example/";
	expect_reject(&v, ID, ISS, "identity: the certificate's OIDC issuer", &t);
	v = good;
	v.no_sct = 1;
	expect_reject(&v, ID, ISS, "SCT: the signing certificate has no embedded SCT list", &t);
	v = good;
	v.sct_over_other_tbs = 1;
	expect_reject(&v, ID, ISS, "SCT: no embedded SCT verifies (the signature of SCT 0", &t);
	v = good;
	v.dsse_other_key = 1; /* logged consistently, but not the leaf's signature */
	expect_reject(&v, ID, ISS, "DSSE: the envelope signature does not verify", &t);
	v = good;
	v.late_integration = 1; /* logged after the 10-minute certificate expired */
	expect_reject(&v, ID, ISS, "certificate chain", &t);
	v = good;
	v.no_promise = 1; /* no SET and no timestamp: no verified time */
	expect_reject(&v, ID, ISS, "no verified time", &t);
	lc_ss_trust_free(&t);

	/* the precertificate TBS: the leaf without its SCT list is, byte for
	 * byte, the TBS the SCT was computed over */
	unsigned char *der = NULL, *tbs = NULL;
	size_t dl = 0, tl = 0;
	X509 *leaf = make_leaf(&good, &der, &dl);
	static const unsigned char sct_oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02};
	CHECK(lc_ss_tbs_without_ext(der, dl, sct_oid, sizeof sct_oid, &tbs, &tl) == 0);
	int xi = X509_get_ext_by_NID(leaf, NID_ct_precert_scts, -1);
	X509_EXTENSION *e = xi >= 0 ? X509_delete_ext(leaf, xi) : NULL;
	X509_EXTENSION_free(e);
	unsigned char *want = NULL;
	int wl = i2d_re_X509_tbs(leaf, &want);
	CHECK(xi >= 0 && wl > 0 && (size_t)wl == tl && memcmp(want, tbs, tl) == 0);
	free(tbs);
	/* absent extension, truncated or trailing DER: refused */
	unsigned char other_oid[] = {0x2b, 0x06, 0x01};
	CHECK(lc_ss_tbs_without_ext(der, dl, other_oid, sizeof other_oid, &tbs, &tl) != 0);
	int all = 1;
	for (size_t n = 0; n < dl; n += 7)
		all &= lc_ss_tbs_without_ext(der, n, sct_oid, sizeof sct_oid, &tbs, &tl) != 0;
	CHECK(all);
	OPENSSL_free(want);
	OPENSSL_free(der);
	X509_free(leaf);

	/* hostile trust roots */
	static const char *const bad_roots[] = {
	    "[]",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json\"}",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":7}",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[{\"publicKey\":"
	    "{\"rawBytes\":\"AAAA\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"}}]}",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}",
	};
	for (size_t i = 0; i < sizeof bad_roots / sizeof bad_roots[0]; i++) {
		lc_ss_trust bt;
		CHECK_MSG(lc_ss_trust_load((const unsigned char *)bad_roots[i], strlen(bad_roots[i]), &bt, err,
					   sizeof err) == LC_MS_REJECT && err[0],
			  "bad root %zu", i);
	}
	free(tj);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ct_key);
	EVP_PKEY_free(rekor_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(other_key);
	X509_free(ca_cert);
}

int main(void)
{
	RUN(test_merkle);
	RUN(test_set_payload);
	RUN(test_time);
	RUN(test_checkpoint);
	RUN(test_sct_list);
	RUN(test_private_sigstore);
	return TEST_REPORT("test_sigstore");
}
