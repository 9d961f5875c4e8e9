/* A minimal TAP producer for the unit tests: prove reads what this prints. */
#ifndef PT_TAP_H
#define PT_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                   \
	do {                                                            \
		int ok_c_ = !!(cond);                                      \
		printf("%sok %d - ", ok_c_ ? "" : "not ", ++tap_n);        \
		printf(__VA_ARGS__);                                    \
		printf("\n");                                           \
		if (!ok_c_) {                                            \
			tap_failed++;                                   \
			printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
		}                                                       \
	} while (0)

#define is_str(got, want, ...)                                          \
	do {                                                            \
		const char *g_ = (got), *w_ = (want);                   \
		int c_ = (g_ == NULL && w_ == NULL) ||                  \
			 (g_ && w_ && strcmp(g_, w_) == 0);             \
		ok(c_, __VA_ARGS__);                                    \
		if (!c_)                                                \
			printf("#   got:      '%s'\n#   expected: '%s'\n", \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
