/* Syscall names come from the build host's __NR_* definitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "ebpfstats.h"

static void test_known_numbers(void **state)
{
	(void)state;
	assert_string_equal(ebs_syscall_name(SYS_getppid), "getppid");
	assert_string_equal(ebs_syscall_name(SYS_read), "read");
	assert_string_equal(ebs_syscall_name(SYS_write), "write");
	assert_string_equal(ebs_syscall_name(SYS_openat), "openat");
	assert_string_equal(ebs_syscall_name(SYS_flock), "flock");
	assert_string_equal(ebs_syscall_name(SYS_exit_group), "exit_group");
}

static void test_bounds(void **state)
{
	(void)state;
	assert_true(ebs_syscall_max() > SYS_openat);
	assert_null(ebs_syscall_name(ebs_syscall_max()));
	assert_null(ebs_syscall_name(UINT32_MAX));
}

/* Every name is a C identifier and no name appears twice. */
static void test_names_well_formed(void **state)
{
	unsigned named = 0;

	(void)state;
	for (uint32_t i = 0; i < ebs_syscall_max(); i++) {
		const char *n = ebs_syscall_name(i);
		if (!n)
			continue;
		named++;
		assert_true(strlen(n) > 0 && strlen(n) < 32);
		for (const char *p = n; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				    *p == '_');
		for (uint32_t j = i + 1; j < ebs_syscall_max(); j++)
			if (ebs_syscall_name(j))
				assert_string_not_equal(n, ebs_syscall_name(j));
	}
	assert_true(named > 250);
}

static void test_tcp_state_names(void **state)
{
	(void)state;
	assert_string_equal(ebs_tcp_state_name(1), "ESTABLISHED");
	assert_string_equal(ebs_tcp_state_name(10), "LISTEN");
	assert_string_equal(ebs_tcp_state_name(12), "NEW_SYN_RECV");
	assert_string_equal(ebs_tcp_state_name(0), "UNKNOWN");
	assert_string_equal(ebs_tcp_state_name(13), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_numbers),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_names_well_formed),
		cmocka_unit_test(test_tcp_state_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
