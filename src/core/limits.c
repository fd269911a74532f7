/* The limits table (include/laocoon_limits.def) turned into code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"

static const lc_limit_info limit_table[] = {
#define LC_LIMIT(name, def, hard, unit, why) {#name, (uint64_t)(def), (uint64_t)(hard), unit, why},
#include "laocoon_limits.def"
#undef LC_LIMIT
};

/* Keep the compile-time defaults honest: a default above its ceiling or a
 * zero default would silently change meaning. */
#define LC_LIMIT(name, def, hard, unit, why)                                                             \
	_Static_assert((uint64_t)(def) > 0 && (uint64_t)(def) <= (uint64_t)(hard),                       \
		       "limit " #name " default must be in 1..hard");
#include "laocoon_limits.def"
#undef LC_LIMIT

const lc_limit_info *lc_limit_table(size_t *count)
{
	if (count)
		*count = sizeof limit_table / sizeof limit_table[0];
	return limit_table;
}

void lc_limits_default(lc_limits *lim)
{
#define LC_LIMIT(name, def, hard, unit, why) lim->name = (uint64_t)(def);
#include "laocoon_limits.def"
#undef LC_LIMIT
}

uint64_t lc_limit_get(const lc_limits *lim, lc_limit_id id)
{
	switch (id) {
#define LC_LIMIT(name, def, hard, unit, why)                                                             \
	case LC_LIMIT_##name:                                                                            \
		return lim->name;
#include "laocoon_limits.def"
#undef LC_LIMIT
	default:
		return 0;
	}
}

static uint64_t *limit_slot(lc_limits *lim, lc_limit_id id)
{
	switch (id) {
#define LC_LIMIT(name, def, hard, unit, why)                                                             \
	case LC_LIMIT_##name:                                                                            \
		return &lim->name;
#include "laocoon_limits.def"
#undef LC_LIMIT
	default:
		return NULL;
	}
}

int lc_limits_set(lc_limits *lim, const char *assignment, char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	if (!eq || eq == assignment) {
		snprintf(err, errlen, "expected name=value, got '%s'", assignment);
		return -1;
	}
	size_t nlen = (size_t)(eq - assignment);
	const char *val = eq + 1;
	for (size_t i = 0; i < sizeof limit_table / sizeof limit_table[0]; i++) {
		const lc_limit_info *li = &limit_table[i];
		if (strlen(li->name) != nlen || memcmp(li->name, assignment, nlen) != 0)
			continue;
		if (*val < '0' || *val > '9') {
			snprintf(err, errlen, "limit %s: '%s' is not a number", li->name, val);
			return -1;
		}
		errno = 0;
		char *end;
		unsigned long long v = strtoull(val, &end, 10);
		uint64_t mult = 1;
		if (*end == 'k' || *end == 'K')
			mult = 1024, end++;
		else if (*end == 'M')
			mult = 1024 * 1024, end++;
		else if (*end == 'G')
			mult = 1024ull * 1024 * 1024, end++;
		else if (*end == 'T')
			mult = 1024ull * 1024 * 1024 * 1024, end++;
		if (errno || *end != '\0') {
			snprintf(err, errlen, "limit %s: '%s' is not a number", li->name, val);
			return -1;
		}
		uint64_t total;
		if (__builtin_mul_overflow((uint64_t)v, mult, &total) || total > li->hard) {
			snprintf(err, errlen, "limit %s: %s is above the hard maximum %llu %s", li->name, val,
				 (unsigned long long)li->hard, li->unit);
			return -1;
		}
		if (total == 0) {
			/* 0 never means unlimited: it would fail open. */
			snprintf(err, errlen, "limit %s: 0 is not allowed (limits cannot be switched off)",
				 li->name);
			return -1;
		}
		*limit_slot(lim, (lc_limit_id)i) = total;
		return 0;
	}
	snprintf(err, errlen, "unknown limit '%.*s' (see --help-limits)", (int)nlen, assignment);
	return -1;
}
