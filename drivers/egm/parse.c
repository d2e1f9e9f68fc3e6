// SPDX-License-Identifier: GPL-2.0
/*
 * egm: the input grammar of the configfs tree and the regions= parameter,
 * and the names of egm's enumerations.
 *
 * The grammar is ABI (Documentation/ABI/testing/configfs-egm, "Input
 * grammar"): one trailing newline is ignored; any other whitespace or an
 * embedded NUL is refused; numbers are decimal (leading zeros included)
 * or 0x-prefixed hexadecimal, never signed; every malformed or
 * out-of-range value is EINVAL. The kernel's parsers do the work where
 * they express exactly that: kstrtoull() converts the digits once their
 * form is checked (it alone would take a sign, and octal after a leading
 * zero), sysfs_match_string() matches keywords. kstrtobool() does not:
 * it looks at one or two characters ("yellow" is true), so enable has
 * its own word list.
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/string.h>

#include "egm.h"

/* The longest value any store accepts, excluding the newline. */
#define EGM_WORD_MAX	24

/* uid and gid: (u32)-1 is the invalid id. */
#define EGM_ID_MAX	(U32_MAX - 1ULL)

/**
 * egm_input_len() - check input against the common grammar
 * @page: input, not necessarily NUL terminated
 * @count: bytes of input
 *
 * Return: the length of the value without its trailing newline, or
 * -EINVAL if it holds whitespace or a NUL.
 */
ssize_t egm_input_len(const char *page, size_t count)
{
	size_t i, len = count;

	if (len && page[len - 1] == '\n')
		len--;
	/* ASCII whitespace only: the kernel's isspace() also takes 0xa0 */
	for (i = 0; i < len; i++)
		if (!page[i] || (isascii(page[i]) && isspace(page[i])))
			return -EINVAL;
	return len;
}

/* Copy a short value out of @page, NUL terminated; -EINVAL if too long. */
static int egm_input_word(const char *page, size_t count,
			  char word[EGM_WORD_MAX])
{
	ssize_t len = egm_input_len(page, count);

	if (len < 0 || len >= EGM_WORD_MAX)
		return -EINVAL;
	memcpy(word, page, len);
	word[len] = '\0';
	return 0;
}

/* The multiplier of a size suffix (powers of 1024), 0 if it is none. */
static unsigned int egm_suffix_shift(char c)
{
	const char *suffixes = "kmgt", *p = strchr(suffixes, _tolower(c));

	return p && c ? 10 * (p - suffixes + 1) : 0;
}

/**
 * egm_parse_u64() - parse a number of the egm input grammar
 * @page: input, not necessarily NUL terminated
 * @count: bytes of input; one trailing newline is ignored
 * @suffix: accept one of KMGT (any case, powers of 1024) at the end
 * @val: result
 *
 * Decimal (leading zeros stay decimal) or 0x-prefixed hexadecimal. No
 * whitespace, no sign, no embedded NUL.
 *
 * Return: 0 or -EINVAL (also on overflow).
 */
int egm_parse_u64(const char *page, size_t count, bool suffix, u64 *val)
{
	ssize_t len = egm_input_len(page, count);
	const char *p = page, *end = page + len, *digits = "0123456789";
	unsigned int base = 10, shift = 0;
	char word[EGM_WORD_MAX];
	size_t n;
	u64 v;

	if (len < 0)
		return -EINVAL;
	if (suffix && len > 1 && egm_suffix_shift(end[-1]))
		shift = egm_suffix_shift(*--end);
	if (end - p > 2 && p[0] == '0' && _tolower(p[1]) == 'x') {
		base = 16;
		digits = "0123456789abcdefABCDEF";
		p += 2;
	}
	/* Leading zeros carry no value, however many there are. */
	while (end - p > 1 && *p == '0')
		p++;
	n = end - p;
	if (n >= EGM_WORD_MAX)
		return -EINVAL;
	memcpy(word, p, n);
	word[n] = '\0';
	/* kstrtoull() alone would also take a sign and a second "0x" */
	if (strspn(word, digits) != n || kstrtoull(word, base, &v) ||
	    check_shl_overflow(v, shift, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

/* A uid or gid: a number without suffix, 0 ... 4294967294. */
int egm_parse_id(const char *page, size_t count, u64 *val)
{
	if (egm_parse_u64(page, count, false, val) || *val > EGM_ID_MAX)
		return -EINVAL;
	return 0;
}

/*
 * A devnode mode: 1 to 4 octal digits, 1 ... 0777. 0 would become 0600:
 * devtmpfs treats a zero mode as "default".
 */
int egm_parse_mode(const char *page, size_t count, u64 *val)
{
	char word[EGM_WORD_MAX];
	unsigned int mode;
	size_t len;

	if (egm_input_word(page, count, word))
		return -EINVAL;
	len = strlen(word);
	if (len < 1 || len > 4 || strspn(word, "01234567") != len ||
	    kstrtouint(word, 8, &mode) || !mode || mode > 0777)
		return -EINVAL;
	*val = mode;
	return 0;
}

static const char *const egm_bool_words[][2] = {
	{ "0", "1" }, { "n", "y" }, { "no", "yes" }, { "off", "on" },
	{ "false", "true" },
};

/* enable: exactly the words of egm_bool_words, in any case. */
int egm_parse_bool(const char *page, size_t count, bool *val)
{
	char word[EGM_WORD_MAX];
	unsigned int i, j;

	if (egm_input_word(page, count, word))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(egm_bool_words); i++) {
		for (j = 0; j < 2; j++) {
			if (!strcasecmp(word, egm_bool_words[i][j])) {
				*val = j;
				return 0;
			}
		}
	}
	return -EINVAL;
}

/*
 * A keyword of @names (exact case), as sysfs_match_string() finds it
 * after the common checks. Return: its index or -EINVAL.
 */
int egm_parse_word(const char *page, size_t count, const char *const *names,
		   size_t n)
{
	if (egm_input_len(page, count) < 0)
		return -EINVAL;
	return __sysfs_match_string(names, n, page);
}

/**
 * egm_instance_name_valid() - whether @name may name an instance
 * @name: the directory name given to mkdir
 *
 * 1 to EGM_NAME_MAX characters of [A-Za-z0-9_.-], not starting with '.'
 * or '-'.
 *
 * Return: true if valid.
 */
bool egm_instance_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > EGM_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	/* isalnum() also takes Latin-1 letters (0xc0-0xff): ASCII only. */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_.-", name[i])))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Names of enumerations, as the attributes show them                 */
/* ------------------------------------------------------------------ */

const char *const egm_state_names[EGM_STATE_COUNT] = {
	[EGM_STATE_DISABLED] = "disabled",
	[EGM_STATE_SCRUBBING] = "scrubbing",
	[EGM_STATE_READY] = "ready",
	[EGM_STATE_OPEN] = "open",
	[EGM_STATE_REVOKED] = "revoked",
};

const char *const egm_source_names[EGM_SRC_COUNT] = {
	[EGM_SRC_ACPI] = "acpi",
	[EGM_SRC_PARAM] = "param",
};

const char *const egm_retire_names[EGM_RETIRE_COUNT] = {
	[EGM_RETIRE_FIRMWARE] = "firmware",
	[EGM_RETIRE_RUNTIME] = "runtime",
	[EGM_RETIRE_POISON] = "poison",
};

/* scrub: index 1 is zeroing, as the instance's scrub_zero. */
const char *const egm_scrub_names[2] = { "none", "zero" };
