/*
 * Minimal test harness: CHECK() counts, never aborts, so one run reports
 * every broken expectation.  Each test binary ends with the line
 *   <name>: N passed, N failed
 * and tests/run-tests.sh adds them up into the final "N passed, N failed".
 */
#ifndef LC_TEST_HARNESS_H
#define LC_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

static int lc_t_passed, lc_t_failed;

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (cond) {                                                                  \
			lc_t_passed++;                                                       \
		} else {                                                                     \
			lc_t_failed++;                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                            \
	} while (0)

#define CHECK_MSG(cond, ...)                                                                 \
	do {                                                                                 \
		if (cond) {                                                                  \
			lc_t_passed++;                                                       \
		} else {                                                                     \
			lc_t_failed++;                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                        \
			fputc('\n', stderr);                                                 \
		}                                                                            \
	} while (0)

static inline const char *lc_t_str(const char *s) { return s ? s : "(null)"; }
static inline int lc_t_streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }
#define CHECK_STR(a, b) CHECK_MSG(lc_t_streq((a), (b)), "\"%s\" != \"%s\"", lc_t_str(a), lc_t_str(b))

/* Run a test function by name. */
#define RUN(fn)                                                                              \
	do {                                                                                 \
		int before_ = lc_t_failed;                                                   \
		fn();                                                                        \
		if (lc_t_failed != before_)                                                  \
			fprintf(stderr, "  in %s\n", #fn);                                   \
	} while (0)

#define TEST_REPORT(name)                                                                    \
	(printf("%s: %d passed, %d failed\n", (name), lc_t_passed, lc_t_failed), lc_t_failed ? 1 : 0)

#endif
