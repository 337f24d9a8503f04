/*
 * rectest.h - the recorder's test switches, compiled in only by the test
 * build (-DHUGEXEC_TESTING; make test): in a release build each is an
 * inline function that says "off", and record.c has no #ifdef of its own.
 *   HUGEXEC_TEST_RECORD_HOLD=1  one-page ring buffers, read only at the
 *                               end, so that samples are lost after the
 *                               last record the kernel could write
 *                               (tests/integration/t_record.sh)
 */
#ifndef REC_RECTEST_H
#define REC_RECTEST_H

#include <stdbool.h>

#ifdef HUGEXEC_TESTING
bool rec_test_hold(void);
#else
static inline bool rec_test_hold(void)
{
	return false;
}
#endif

#endif
