/*
 * rectest.c - the recorder's test switches (rectest.h); empty in a
 * release build.
 */
#include "rectest.h"

#ifdef HUGEXEC_TESTING
#include <stdlib.h>

bool rec_test_hold(void)
{
	return getenv("HUGEXEC_TEST_RECORD_HOLD") != NULL;
}
#else
typedef int rec_rectest_unused; /* an empty file is not C */
#endif
