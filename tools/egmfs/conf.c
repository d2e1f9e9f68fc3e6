// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: the configuration file: save, restore.
 *
 *   {"version": 1,
 *    "instances": [{"name": "vm0", "region": "socket0", "offset": 0,
 *                   "size": 4194304, "scrub": "zero", "uid": 0, "gid": 0,
 *                   "mode": "0600", "enable": true}, ...],
 *    "retired": {"socket0": ["0x30010000", ...]}}
 *
 * restore reads and checks the whole file before it writes anything to
 * the kernel: a bad file changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "builtin.h"

#define CONF_VERSION	1
#define CONF_MAX_BYTES	(16 << 20)

struct conf_retire {
	char region[64];
	u64 addr;
};

struct conf {
	const char *file;
	struct egmfs_inst *inst;
	size_t nr_inst;
	struct conf_retire *retire;
	size_t nr_retire;
};

static void conf_free(struct conf *c)
{
	free(c->inst);
	free(c->retire);
}

/* "egmfs: FILE: FIELD: message" */
static int bad(const struct conf *c, const char *field, const char *fmt, ...)
	__printf(3, 4);

static int bad(const struct conf *c, const char *field, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "egmfs: %s: %s: ", c->file, field);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

static const char *type_name(struct json_object *o)
{
	return json_type_to_name(json_object_get_type(o));
}

/* A size: a non-negative integer or a string in the kernel's grammar. */
static int get_size(const struct conf *c, const char *field,
		    struct json_object *o, u64 *val, unsigned long align)
{
	const char *s;

	if (json_object_is_type(o, json_type_int)) {
		if (json_object_get_int64(o) < 0)
			return bad(c, field, "invalid %s %s", "value",
				   json_object_to_json_string(o));
		*val = json_object_get_uint64(o);
	} else if (json_object_is_type(o, json_type_string)) {
		s = json_object_get_string(o);
		if (parse_size(s, val))
			return bad(c, field, "invalid size \"%s\"", s);
	} else {
		return bad(c, field, "expected a number or a size string, not %s",
			   type_name(o));
	}
	if (align && *val % align)
		return bad(c, field, "%llu is not a multiple of the page size %lu",
			   (unsigned long long)*val, align);
	return 0;
}

static int get_id(const struct conf *c, const char *field,
		  struct json_object *o, u32 *val)
{
	s64 v;

	if (json_object_is_type(o, json_type_string)) {
		if (parse_id(json_object_get_string(o), val))
			return bad(c, field, "invalid id \"%s\"",
				   json_object_get_string(o));
		return 0;
	}
	if (!json_object_is_type(o, json_type_int))
		return bad(c, field, "expected an integer, not %s",
			   type_name(o));
	v = json_object_get_int64(o);
	if (v < 0 || (u64)v > EGMFS_ID_MAX)
		return bad(c, field, "invalid id %s (0 to %llu)",
			   json_object_to_json_string(o), EGMFS_ID_MAX);
	*val = v;
	return 0;
}

static const char *get_string(const struct conf *c, const char *field,
			      struct json_object *o)
{
	if (!json_object_is_type(o, json_type_string)) {
		bad(c, field, "expected a string, not %s", type_name(o));
		return NULL;
	}
	return json_object_get_string(o);
}

/* "name", "region" or "scrub" of an instance object */
static int parse_inst_string(struct conf *c, const char *field,
			     const char *key, struct json_object *val,
			     struct egmfs_inst *inst)
{
	const char *s = get_string(c, field, val);

	if (!s)
		return -EINVAL;
	if (!strcmp(key, "name")) {
		if (!valid_name(s))
			return bad(c, field, "invalid name \"%s\"", s);
		strscpy(inst->name, s, sizeof(inst->name));
	} else if (!strcmp(key, "region")) {
		/* "" (no region yet) is what save writes for one */
		if (*s && !valid_region_name(s))
			return bad(c, field, "invalid region \"%s\"", s);
		strscpy(inst->region, s, sizeof(inst->region));
	} else {
		if (parse_scrub(s) < 0)
			return bad(c, field,
				   "invalid scrub \"%s\" (zero or none)", s);
		strscpy(inst->scrub, s, sizeof(inst->scrub));
	}
	return 0;
}

/* the runtime fields of 'list --json', which restore ignores */
static bool runtime_key(const char *key)
{
	static const char *const keys[] = {
		"minor", "dev", "state", "path", "resolved_size", "pagesize",
		"cpu_node", "scrub_progress",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* One member of an instance object: 0 or -EINVAL, reported. */
static int parse_inst_key(struct conf *c, const char *field, const char *key,
			  struct json_object *val, struct egmfs_inst *inst,
			  unsigned long pagesize)
{
	const char *s;

	if (!strcmp(key, "name") || !strcmp(key, "region") ||
	    !strcmp(key, "scrub"))
		return parse_inst_string(c, field, key, val, inst);
	if (!strcmp(key, "offset"))
		return get_size(c, field, val, &inst->offset, pagesize);
	if (!strcmp(key, "size"))
		return get_size(c, field, val, &inst->size, pagesize);
	if (!strcmp(key, "uid"))
		return get_id(c, field, val, &inst->uid);
	if (!strcmp(key, "gid"))
		return get_id(c, field, val, &inst->gid);
	if (!strcmp(key, "mode")) {
		if (!json_object_is_type(val, json_type_string))
			return bad(c, field,
				   "expected an octal string such as \"0600\", not %s",
				   type_name(val));
		s = json_object_get_string(val);
		if (parse_mode(s, &inst->mode))
			return bad(c, field,
				   "invalid mode \"%s\" (0001 to 0777)", s);
		return 0;
	}
	if (!strcmp(key, "enable")) {
		if (!json_object_is_type(val, json_type_boolean))
			return bad(c, field, "expected true or false, not %s",
				   type_name(val));
		inst->enable = json_object_get_boolean(val);
		return 0;
	}
	if (runtime_key(key))
		return 0;
	return bad(c, field, "unknown field");
}

static int parse_inst(struct conf *c, size_t idx, struct json_object *o,
		      struct egmfs_inst *inst, unsigned long pagesize)
{
	char field[96], where[48];
	int ret;

	snprintf(where, sizeof(where), "instances[%zu]", idx);
	if (!json_object_is_type(o, json_type_object))
		return bad(c, where, "expected an object, not %s", type_name(o));

	/* the defaults of a new instance (mkdir) */
	memset(inst, 0, sizeof(*inst));
	strscpy(inst->scrub, "zero", sizeof(inst->scrub));
	inst->mode = 0600;
	inst->minor = -1;

	json_object_object_foreach(o, key, val) {
		snprintf(field, sizeof(field), "%s.%s", where, key);
		ret = parse_inst_key(c, field, key, val, inst, pagesize);
		if (ret)
			return ret;
	}
	/* (every key present was valid, and none is repeated) */
	if (!json_object_object_get_ex(o, "name", NULL))
		return bad(c, where, "missing \"name\"");
	if (!json_object_object_get_ex(o, "region", NULL))
		return bad(c, where, "missing \"region\"");
	if (inst->enable && !inst->region[0])
		return bad(c, where, "enabled without a region");
	return 0;
}

/* Enabled extents of one region must not overlap (size 0 = to the end). */
static int check_overlaps(struct conf *c)
{
	char where[48];
	size_t i, j;

	for (i = 0; i < c->nr_inst; i++) {
		const struct egmfs_inst *a = &c->inst[i];

		for (j = 0; j < i; j++) {
			const struct egmfs_inst *b = &c->inst[j];

			if (!a->enable || !b->enable ||
			    strcmp(a->region, b->region))
				continue;
			if (a->offset >= egmfs_inst_end(b, NULL) ||
			    b->offset >= egmfs_inst_end(a, NULL))
				continue;
			snprintf(where, sizeof(where), "instances[%zu]", i);
			return bad(c, where,
				   "extent overlaps instances[%zu] (%s) in %s",
				   j, b->name, a->region);
		}
	}
	return 0;
}

static int parse_retired(struct conf *c, struct json_object *o)
{
	char field[96];
	size_t i, n = 0;

	if (!json_object_is_type(o, json_type_object))
		return bad(c, "retired", "expected an object, not %s",
			   type_name(o));
	json_object_object_foreach(o, k, v) {
		snprintf(field, sizeof(field), "retired.%s", k);
		if (!valid_region_name(k))
			return bad(c, field, "invalid region name");
		if (!json_object_is_type(v, json_type_array))
			return bad(c, field, "expected an array, not %s",
				   type_name(v));
		n += json_object_array_length(v);
	}
	c->retire = xcalloc(n, sizeof(*c->retire));
	json_object_object_foreach(o, key, val) {
		for (i = 0; i < json_object_array_length(val); i++) {
			struct json_object *e = json_object_array_get_idx(val, i);
			struct conf_retire *r = &c->retire[c->nr_retire];

			snprintf(field, sizeof(field), "retired.%s[%zu]", key, i);
			if (!json_object_is_type(e, json_type_string))
				return bad(c, field,
					   "expected an address string such as \"0x30010000\", not %s",
					   type_name(e));
			if (parse_size(json_object_get_string(e), &r->addr))
				return bad(c, field, "invalid address \"%s\"",
					   json_object_get_string(e));
			strscpy(r->region, key, sizeof(r->region));
			c->nr_retire++;
		}
	}
	return 0;
}

static int read_all(const char *file, char **data, size_t *len)
{
	size_t cap = 8192, n = 0;
	ssize_t r;
	char *buf;
	int fd, ret = 0;

	fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return -errno;
	buf = xcalloc(1, cap + 1);
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap >= CONF_MAX_BYTES) {
				ret = -EFBIG;
				break;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (!r)
			break;
		n += r;
	}
	if (fd)
		close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

static int line_of(const char *data, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off && data[i]; i++)
		if (data[i] == '\n')
			line++;
	return line;
}

/*
 * json-c keeps the last of two equal keys of an object without a word, so
 * a hand-edited file with "enable" twice would silently take one of them.
 * The text has already parsed (strictly) when this runs: a small walk over
 * it finds the first key repeated inside one object and names its field
 * ("instances[0].enable"). Keys are compared as written (escapes and all).
 */
struct dup_scan {
	const char *p, *end;
	char path[256];
};

static void scan_ws(struct dup_scan *s)
{
	while (s->p < s->end && strchr(" \t\r\n", *s->p))
		s->p++;
}

/* A string at s->p: returns its raw text (without quotes), moves past it. */
static const char *scan_string(struct dup_scan *s, size_t *len)
{
	const char *start = ++s->p;

	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' && s->p + 1 < s->end)
			s->p++;
		s->p++;
	}
	*len = s->p - start;
	if (s->p < s->end)
		s->p++;
	return start;
}

static void path_add(struct dup_scan *s, size_t at, const char *fmt, ...)
	__printf(3, 4);

static void path_add(struct dup_scan *s, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (at >= sizeof(s->path))
		return;
	va_start(ap, fmt);
	vsnprintf(s->path + at, sizeof(s->path) - at, fmt, ap);
	va_end(ap);
}

static bool scan_value(struct dup_scan *s, int depth);

/* The elements of an array, s->p past its '['; path[at] is its end. */
static bool scan_array(struct dup_scan *s, int depth, size_t at)
{
	size_t n;

	for (n = 0, scan_ws(s); s->p < s->end && *s->p != ']'; n++) {
		path_add(s, at, "[%zu]", n);
		if (scan_value(s, depth + 1))
			return true;
		scan_ws(s);
		if (s->p < s->end && *s->p == ',')
			s->p++;
	}
	s->p++;
	s->path[at] = '\0';
	return false;
}

/* The members of an object, s->p past its '{'; path[at] is its end. */
static bool scan_object(struct dup_scan *s, int depth, size_t at)
{
	size_t n, i, klen, *lens = NULL;
	const char **keys = NULL, *key;
	bool dup = false;

	for (n = 0, scan_ws(s); s->p < s->end && *s->p == '"'; n++) {
		key = scan_string(s, &klen);
		path_add(s, at, "%s%.*s", at ? "." : "", (int)klen, key);
		for (i = 0; i < n; i++)
			if (lens[i] == klen && !memcmp(keys[i], key, klen))
				dup = true;
		if (dup)
			break;
		keys = xrealloc(keys, (n + 1) * sizeof(*keys));
		lens = xrealloc(lens, (n + 1) * sizeof(*lens));
		keys[n] = key;
		lens[n] = klen;
		scan_ws(s);
		s->p++;		/* ':' */
		dup = scan_value(s, depth + 1);
		if (dup)
			break;
		s->path[at] = '\0';
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			scan_ws(s);
		}
	}
	free(keys);
	free(lens);
	if (dup)
		return true;
	scan_ws(s);
	s->p++;		/* '}' */
	return false;
}

/* true (with s->path naming it) at the first duplicate key */
static bool scan_value(struct dup_scan *s, int depth)
{
	size_t klen;

	scan_ws(s);
	if (s->p >= s->end || depth > 64)
		return false;
	if (*s->p == '"') {
		scan_string(s, &klen);
		return false;
	}
	if (*s->p != '{' && *s->p != '[') {
		while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
			s->p++;
		return false;
	}
	if (*s->p++ == '[')
		return scan_array(s, depth, strlen(s->path));
	return scan_object(s, depth, strlen(s->path));
}

static int check_dup_keys(const struct conf *c, const char *data, size_t len)
{
	struct dup_scan s = { .p = data, .end = data + len };

	if (scan_value(&s, 0))
		return bad(c, s.path, "duplicate key");
	return 0;
}

/*
 * The JSON value of the file's text, parsed strictly, or NULL after
 * saying where it goes wrong (*ret: -EINVAL, or -ENOMEM).
 */
static struct json_object *conf_parse_text(const struct conf *c,
					   const char *data, size_t len,
					   int *ret)
{
	enum json_tokener_error jerr;
	struct json_object *top;
	struct json_tokener *tok;
	char where[48];
	size_t end, i;

	tok = json_tokener_new();
	if (!tok) {
		*ret = -ENOMEM;
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	top = json_tokener_parse_ex(tok, data, len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue || (!top && jerr == json_tokener_success)) {
		/* the line of the last thing in the file */
		for (i = len; i && strchr(" \t\r\n", data[i - 1]); i--)
			;
		snprintf(where, sizeof(where), "line %d",
			 line_of(data, i ? i - 1 : 0));
		*ret = bad(c, where, "unexpected end of file");
	} else if (jerr != json_tokener_success) {
		snprintf(where, sizeof(where), "line %d", line_of(data, end));
		*ret = bad(c, where, "%s", json_tokener_error_desc(jerr));
	} else {
		for (i = end; i < len && strchr(" \t\r\n", data[i]); i++)
			;
		snprintf(where, sizeof(where), "line %d", line_of(data, i));
		*ret = i < len ?
		       bad(c, where, "trailing data after the JSON object") :
		       check_dup_keys(c, data, end);
	}
	if (*ret) {
		json_object_put(top);
		return NULL;
	}
	return top;
}

/* The top level is an object of a known version with known keys. */
static int conf_check_top(const struct conf *c, struct json_object *top)
{
	struct json_object *o;

	if (!json_object_is_type(top, json_type_object))
		return bad(c, "top level", "expected an object, not %s",
			   type_name(top));
	json_object_object_foreach(top, key, val) {
		if (strcmp(key, "version") && strcmp(key, "instances") &&
		    strcmp(key, "retired"))
			return bad(c, key, "unknown field");
		(void)val;
	}
	if (!json_object_object_get_ex(top, "version", &o))
		return bad(c, "version", "missing");
	if (!json_object_is_type(o, json_type_int) ||
	    json_object_get_int64(o) != CONF_VERSION)
		return bad(c, "version", "unsupported version %s (expected %d)",
			   json_object_to_json_string(o), CONF_VERSION);
	return 0;
}

/* Each instance of the array o into c->inst, no name twice. */
static int parse_instances(struct conf *c, struct json_object *o,
			   unsigned long pagesize)
{
	char where[48];
	size_t i, j;
	int ret;

	c->nr_inst = json_object_array_length(o);
	c->inst = xcalloc(c->nr_inst, sizeof(*c->inst));
	for (i = 0; i < c->nr_inst; i++) {
		ret = parse_inst(c, i, json_object_array_get_idx(o, i),
				 &c->inst[i], pagesize);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (strcmp(c->inst[i].name, c->inst[j].name))
				continue;
			snprintf(where, sizeof(where), "instances[%zu].name", i);
			return bad(c, where,
				   "duplicate name \"%s\" (also instances[%zu])",
				   c->inst[i].name, j);
		}
	}
	return 0;
}

static int conf_parse(struct conf *c, struct json_object *top,
		      unsigned long pagesize)
{
	struct json_object *o;
	int ret;

	ret = conf_check_top(c, top);
	if (ret)
		return ret;
	if (!json_object_object_get_ex(top, "instances", &o))
		return bad(c, "instances", "missing");
	if (!json_object_is_type(o, json_type_array))
		return bad(c, "instances", "expected an array, not %s",
			   type_name(o));
	ret = parse_instances(c, o, pagesize);
	if (!ret)
		ret = check_overlaps(c);
	if (!ret && json_object_object_get_ex(top, "retired", &o))
		ret = parse_retired(c, o);
	return ret;
}

/* Read, parse and check the whole file. Prints why on failure. */
static int conf_load(struct conf *c, const char *file, unsigned long pagesize)
{
	struct json_object *top;
	char *data = NULL;
	size_t len = 0;
	int ret;

	memset(c, 0, sizeof(*c));
	c->file = strcmp(file, "-") ? file : "<stdin>";
	ret = read_all(file, &data, &len);
	if (ret) {
		report(c->file, "read", -ret, NULL);
		return ret;
	}
	top = conf_parse_text(c, data, len, &ret);
	free(data);
	if (!top)
		return ret;
	ret = conf_parse(c, top, pagesize);
	json_object_put(top);
	if (ret)
		conf_free(c);
	return ret;
}

/* ------------------------------------------------------------------ save */

static int mkdir_p(const char *dir)
{
	char *copy, *p, c;
	struct stat st;
	int ret = 0;

	if (!stat(dir, &st))
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	copy = xstrdup(dir);
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p)
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(copy, 0755) && errno != EEXIST) {
			ret = -errno;
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(copy);
	return ret;
}

static int write_full(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

/* tmp file in the same directory, fsync, rename, fsync the directory */
int write_file_atomic(const char *file, const char *data, mode_t mode)
{
	char *dcopy = xstrdup(file), *bcopy = xstrdup(file), *tmp;
	const char *dir = dirname(dcopy), *base = basename(bcopy);
	size_t tlen = strlen(dir) + strlen(base) + 16;
	int fd, dfd, ret;

	tmp = xcalloc(1, tlen);
	ret = mkdir_p(dir);
	if (ret)
		goto out;
	snprintf(tmp, tlen, "%s/.%s.XXXXXX", dir, base);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = write_full(fd, data, strlen(data));
	if (!ret && fchmod(fd, mode))
		ret = -errno;
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, file))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	free(tmp);
	free(dcopy);
	free(bcopy);
	return ret;
}

int write_json_file(const char *file, struct json_object *obj, mode_t mode)
{
	const char *text = json_object_to_json_string_ext(obj, EGMFS_JSON_FLAGS);
	char *data = xcalloc(1, strlen(text) + 2);
	int ret;

	sprintf(data, "%s\n", text);
	json_object_put(obj);
	ret = write_file_atomic(file, data, mode);
	free(data);
	return ret;
}

/*
 * The file save writes: FILE itself, or the final target when FILE is a
 * symbolic link (so that a link into a managed directory stays a link).
 * malloc'd.
 */
static char *save_target(const char *file)
{
	char *real, *dcopy, *path, link[PATH_MAX];
	struct stat st;
	ssize_t n;
	int hops;

	real = realpath(file, NULL);
	if (real)
		return real;
	/* a dangling link: follow it by hand to the file it names */
	path = xstrdup(file);
	for (hops = 0; hops < 40; hops++) {
		if (lstat(path, &st) || !S_ISLNK(st.st_mode))
			break;
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			break;
		link[n] = '\0';
		if (link[0] == '/') {
			free(path);
			path = xstrdup(link);
			continue;
		}
		dcopy = xstrdup(path);
		free(path);
		path = xcalloc(1, strlen(dcopy) + n + 2);
		sprintf(path, "%s/%s", dirname(dcopy), link);
		free(dcopy);
	}
	return path;
}

struct saved_retire {
	const char *region;
	u64 block;
};

static int cmp_saved(const void *a, const void *b)
{
	const struct saved_retire *x = a, *y = b;
	int d = strcmp(x->region, y->region);

	if (d)
		return d;
	return (x->block > y->block) - (x->block < y->block);
}

/*
 * The "retired" map save writes: the runtime and poison retirements of
 * every region now, plus every retirement of the previous file that is not
 * there any more (its region is absent at this boot, or the module was
 * reloaded without a restore). Firmware entries come back by themselves.
 * A retirement never leaves the file by accident.
 */
static struct json_object *saved_retired(const struct egmfs_region *regions,
					 size_t nr, const struct conf *old,
					 size_t *count)
{
	struct saved_retire *v;
	struct json_object *map, *list = NULL;
	const struct egmfs_region *reg;
	size_t i, j, n = 0, cap = old ? old->nr_retire : 0;
	char addr[24];

	for (i = 0; i < nr; i++)
		cap += regions[i].nr_retired;
	v = xcalloc(cap, sizeof(*v));
	for (i = 0; i < nr; i++) {
		for (j = 0; j < regions[i].nr_retired; j++) {
			const struct egmfs_retired *e = &regions[i].retired[j];

			if (strcmp(e->source, "runtime") &&
			    strcmp(e->source, "poison"))
				continue;
			v[n].region = regions[i].name;
			v[n++].block = e->addr & ~(EGMFS_BLOCK_SIZE - 1);
		}
	}
	for (i = 0; old && i < old->nr_retire; i++) {
		const struct conf_retire *e = &old->retire[i];
		u64 block = e->addr & ~(EGMFS_BLOCK_SIZE - 1);

		reg = egmfs_region_find(regions, nr, e->region);
		if (reg) {
			/* firmware lists it again at every load */
			for (j = 0; j < reg->nr_retired; j++)
				if (reg->retired[j].addr == block &&
				    !strcmp(reg->retired[j].source, "firmware"))
					break;
			if (j < reg->nr_retired)
				continue;
		}
		v[n].region = e->region;
		v[n++].block = block;
	}
	qsort(v, n, sizeof(*v), cmp_saved);
	map = json_object_new_object();
	*count = 0;
	for (i = 0; i < n; i++) {
		if (i && !cmp_saved(&v[i], &v[i - 1]))
			continue;
		if (!i || strcmp(v[i].region, v[i - 1].region)) {
			list = json_object_new_array();
			json_object_object_add(map, v[i].region, list);
		}
		snprintf(addr, sizeof(addr), "0x%llx",
			 (unsigned long long)v[i].block);
		json_object_array_add(list, json_object_new_string(addr));
		(*count)++;
	}
	free(v);
	return map;
}

static const char save_usage[] =
"usage: egmfs save [--force] [FILE]\n"
"\n"
"Write every instance (enabled ones by minor, then disabled ones by name)\n"
"and the runtime and poison retirements of every region to FILE (default\n"
EGMFS_DEFAULT_FILE ", '-' for standard output). The file is replaced\n"
"atomically and has mode 0600; the previous one is kept as FILE.bak.\n"
"Retirements already in FILE are kept, also those of regions absent\n"
"now. A symbolic link FILE is written through to its target.\n"
"\n"
"  -f, --force   write an empty instance list over a non-empty one\n";

/* [FILE]: the one optional operand of save and restore */
static int file_operand(int argc, char **argv, const char *usage,
			const char **file)
{
	if (argc - optind > 1)
		return usage_error(usage, "%s: too many arguments", argv[0]);
	if (optind < argc)
		*file = argv[optind];
	return 0;
}

/*
 * The previous file at target, if it is a regular file: its text in
 * *old_data (to keep as .bak) and, if it parses, its contents in *old
 * (then returns 1). Says why and returns -errno if it cannot be read.
 */
static int save_read_old(struct egmfs_ctx *ctx, const char *target,
			 struct conf *old, char **old_data)
{
	struct stat st;
	size_t len;
	int ret;

	if (stat(target, &st) || !S_ISREG(st.st_mode))
		return 0;
	ret = read_all(target, old_data, &len);
	if (ret) {
		report(target, "save", -ret, "cannot read the previous file");
		return ret;
	}
	if (!conf_load(old, target, ctx->pagesize))
		return 1;
	complain(target, "save",
		 "the previous file does not parse; it is kept as %s.bak",
		 target);
	return 0;
}

/* What save writes: the instances v, the retirements (*nretired). */
static struct json_object *save_json(const struct egmfs_inst *v, size_t n,
				     const struct egmfs_region *regions,
				     size_t nr, const struct conf *old,
				     size_t *nretired)
{
	struct json_object *top = json_object_new_object();

	json_object_object_add(top, "version", json_object_new_int(CONF_VERSION));
	json_object_object_add(top, "instances", insts_to_json(v, n, NULL));
	json_object_object_add(top, "retired",
			       saved_retired(regions, nr, old, nretired));
	return top;
}

/* Keep the previous file as <target>.bak, then write top to target. */
static int save_write(const char *file, const char *target,
		      struct json_object *top, const char *old_data)
{
	char *bak;
	int ret;

	if (old_data) {
		bak = xcalloc(1, strlen(target) + 5);
		sprintf(bak, "%s.bak", target);
		ret = write_file_atomic(bak, old_data, 0600);
		if (ret)
			report(bak, "save", -ret, "cannot keep the previous file");
		free(bak);
		if (ret) {
			json_object_put(top);
			return ret;
		}
	}
	ret = write_json_file(target, top, 0600);
	if (ret)
		report(file, "save", -ret, NULL);
	return ret;
}

int cmd_save(int argc, char **argv, struct egmfs_ctx *ctx)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *file = EGMFS_DEFAULT_FILE;
	char *target = NULL, *old_data = NULL;
	struct conf old, *have_old = NULL;
	struct egmfs_region *regions;
	struct json_object *top;
	struct egmfs_inst *v;
	size_t n, nr, nretired;
	bool force = false;
	int ret;

	ret = parse_opts(argc, argv, "fh", opts, save_usage, opt_flag, &force);
	if (!ret)
		ret = file_operand(argc, argv, save_usage, &file);
	if (ret)
		return ret;
	if (egmfs_inst_list(ctx, &v, &n))
		return EGMFS_FAIL;
	if (egmfs_region_list(ctx, &regions, &nr)) {
		free(v);
		return EGMFS_FAIL;
	}
	egmfs_inst_sort_by_minor(v, n);

	if (strcmp(file, "-")) {
		target = save_target(file);
		ret = save_read_old(ctx, target, &old, &old_data);
		if (ret < 0)
			goto out;
		have_old = ret ? &old : NULL;
		ret = 0;
	}
	if (!n && have_old && have_old->nr_inst && !force) {
		complain(target, "save",
			 "would replace %zu instance%s with none (use --force)",
			 have_old->nr_inst, have_old->nr_inst == 1 ? "" : "s");
		ret = -EEXIST;
		goto out;
	}

	top = save_json(v, n, regions, nr, have_old, &nretired);
	if (!target) {
		print_json(top);
		goto out;
	}
	ret = save_write(file, target, top, old_data);
	if (!ret)
		say(ctx, "saved %zu instance%s and %zu retirement%s to %s\n",
		    n, n == 1 ? "" : "s", nretired, nretired == 1 ? "" : "s",
		    target);
out:
	if (have_old)
		conf_free(have_old);
	free(v);
	egmfs_region_list_free(regions, nr);
	free(target);
	free(old_data);
	return ret ? EGMFS_FAIL : 0;
}

/* --------------------------------------------------------------- restore */

struct restore {
	struct egmfs_ctx *ctx;
	const struct conf *conf;
	bool dry_run;
	bool verbose;
	int wait;			/* for the udev links; -1: if udev runs */
	int timeout_ms;			/* for all the links together */
	int failed;
};

static void action(struct restore *r, const char *fmt, ...)
	__printf(2, 3);

static void action(struct restore *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->verbose && !r->dry_run)
		return;
	if (r->dry_run)
		fputs("would ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static void restore_retired(struct restore *r)
{
	const struct egmfs_region *reg;
	struct egmfs_region *regions;
	size_t i, j, nr;
	u64 block;
	int ret;

	if (!r->conf->nr_retire)
		return;
	if (egmfs_region_list(r->ctx, &regions, &nr)) {
		r->failed++;
		return;
	}
	for (i = 0; i < r->conf->nr_retire; i++) {
		const struct conf_retire *e = &r->conf->retire[i];

		reg = egmfs_region_find(regions, nr, e->region);
		if (!reg) {
			report(e->region, "retire", ENODEV, "no such region");
			r->failed++;
			continue;
		}
		block = e->addr & ~(EGMFS_BLOCK_SIZE - 1);
		for (j = 0; j < reg->nr_retired; j++)
			if (reg->retired[j].addr == block)
				break;
		if (j < reg->nr_retired)
			continue;	/* already retired */
		action(r, "retire %s 0x%llx", e->region,
		       (unsigned long long)e->addr);
		if (r->dry_run)
			continue;
		ret = egmfs_region_retire(r->ctx, e->region, e->addr);
		if (ret) {
			report(e->region, "retire", -ret,
			       ret == -EINVAL ? "address 0x%llx not in the region" :
			       "address 0x%llx", (unsigned long long)e->addr);
			r->failed++;
		}
	}
	egmfs_region_list_free(regions, nr);
}

static const char *const diff_attrs[] = {
	"region", "offset", "size", "scrub", "uid", "gid", "mode",
};

/* The value of attribute i of inst, as egmfs writes it. */
static const char *attr_value(const struct egmfs_inst *inst, size_t i,
			      char *buf, size_t len)
{
	switch (i) {
	case 0:
		return inst->region;
	case 1:
		snprintf(buf, len, "%llu", (unsigned long long)inst->offset);
		return buf;
	case 2:
		snprintf(buf, len, "%llu", (unsigned long long)inst->size);
		return buf;
	case 3:
		return inst->scrub;
	case 4:
		snprintf(buf, len, "%u", inst->uid);
		return buf;
	case 5:
		snprintf(buf, len, "%u", inst->gid);
		return buf;
	default:
		snprintf(buf, len, "%04o", inst->mode);
		return buf;
	}
}

/*
 * Pass one, for one instance of the file: create it if missing, and make
 * its attributes match (disabling it first if it is enabled and they
 * differ, or if the file has it disabled). Returns FIX_FAILED, or
 * whether the instance is now enabled or disabled.
 */
enum { FIX_FAILED, FIX_DISABLED, FIX_ENABLED };

/*
 * The instance want names as it is now, in *cur, created first if it is
 * missing (*created; in a dry run, *cur is what mkdir would give). -1
 * after reporting a failure.
 */
static int restore_current(struct restore *r, const struct egmfs_inst *want,
			   struct egmfs_inst *cur, bool *created)
{
	const char *attr;
	int ret;

	*created = false;
	if (!egmfs_inst_exists(r->ctx, want->name)) {
		action(r, "create %s", want->name);
		if (!r->dry_run) {
			ret = egmfs_inst_mkdir(r->ctx, want->name);
			if (ret) {
				report(want->name, "create", -ret, NULL);
				r->failed++;
				return -1;
			}
		}
		*created = true;
	}
	if (*created && r->dry_run) {
		memset(cur, 0, sizeof(*cur));
		strscpy(cur->scrub, "zero", sizeof(cur->scrub));
		cur->mode = 0600;
		return 0;
	}
	ret = egmfs_inst_load(r->ctx, want->name, cur, &attr);
	if (ret) {
		report(want->name, attr, -ret, NULL);
		r->failed++;
		return -1;
	}
	return 0;
}

static int restore_fix(struct restore *r, const struct egmfs_inst *want)
{
	char a[32], b[32];
	struct egmfs_inst cur;
	bool differ[ARRAY_SIZE(diff_attrs)], any = false, created;
	size_t i;
	int ret;

	if (restore_current(r, want, &cur, &created))
		return FIX_FAILED;
	for (i = 0; i < ARRAY_SIZE(diff_attrs); i++) {
		differ[i] = strcmp(attr_value(&cur, i, a, sizeof(a)),
				   attr_value(want, i, b, sizeof(b)));
		any |= differ[i];
	}
	if (cur.enable && (any || !want->enable)) {
		action(r, "disable %s", want->name);
		if (!r->dry_run) {
			ret = egmfs_inst_write(r->ctx, want->name, "enable",
					       "0");
			if (ret) {
				report(want->name, "restore", -ret,
				       ret == -EBUSY ?
				       "device is open or mapped; left as it is" :
				       NULL);
				r->failed++;
				return FIX_FAILED;
			}
		}
		cur.enable = false;
	}
	for (i = 0; i < ARRAY_SIZE(diff_attrs); i++) {
		const char *val = attr_value(want, i, b, sizeof(b));

		if (!differ[i])
			continue;
		action(r, "set %s %s %s", want->name, diff_attrs[i], val);
		if (r->dry_run)
			continue;
		ret = egmfs_inst_write(r->ctx, want->name, diff_attrs[i], val);
		if (ret) {
			report(want->name, diff_attrs[i], -ret,
			       ret == -ENODEV && i == 0 ? "no region %s" : NULL,
			       val);
			r->failed++;
			/* do not leave a half-made instance behind */
			if (created)
				egmfs_inst_rmdir(r->ctx, want->name);
			return FIX_FAILED;
		}
	}
	return cur.enable ? FIX_ENABLED : FIX_DISABLED;
}

static const char restore_usage[] =
"usage: egmfs restore [--dry-run] [--wait|--no-wait] [--timeout SEC] [FILE]\n"
"\n"
"Re-create the instances of FILE (default " EGMFS_DEFAULT_FILE ", '-' for\n"
"standard input). The whole file is checked first; a bad file changes\n"
"nothing. Then the retirements are re-applied, missing instances are\n"
"created, attributes that differ are fixed (an enabled instance is\n"
"disabled first, unless it is in use: then it is reported and left), and\n"
"instances marked enabled are enabled in file order. Instances not in\n"
"FILE are reported and left alone. Running it twice changes nothing the\n"
"second time. Each change is printed (-q quiets).\n"
"\n"
"When udev runs, restore returns only once the link /dev/egm/NAME of every\n"
"enabled instance of FILE is its device node, so that a VM started next\n"
"finds it; a link missing after the timeout is an error.\n"
"\n"
"  -n, --dry-run       check FILE and print what would be done\n"
"  -w, --wait          wait for the links even when udev seems not to run\n"
"  -W, --no-wait       do not wait for the links\n"
"  -t, --timeout SEC   wait at most SEC seconds in all (default 30)\n"
"  -v, --verbose       accepted for compatibility (printing is the default)\n";

static int restore_opt(int c, const char *arg, void *data)
{
	struct restore *r = data;
	char *end;
	long sec;

	switch (c) {
	case 'n':
		r->dry_run = true;
		break;
	case 'v':
		r->verbose = true;
		break;
	case 'w':
	case 'W':
		r->wait = c == 'w';
		break;
	case 't':
		errno = 0;
		sec = strtol(arg, &end, 10);
		if (errno || *end || end == arg || sec < 0 || sec > 3600)
			return usage_error(restore_usage,
					   "restore: invalid timeout \"%s\" (0 to 3600 seconds)",
					   arg);
		r->timeout_ms = sec * 1000;
		break;
	}
	return 0;
}

/* Name the instances not in the file; -1 if there is no egm at all. */
static int restore_others(struct restore *r)
{
	char **names;
	size_t i, j;
	int nr;

	nr = egmfs_list_groups(r->ctx->instances, "restore", &names);
	if (nr < 0)
		return -1;
	for (i = 0; i < (size_t)nr; i++) {
		for (j = 0; j < r->conf->nr_inst; j++)
			if (!strcmp(names[i], r->conf->inst[j].name))
				break;
		if (j == r->conf->nr_inst)
			complain(names[i], "restore", "not in %s, left alone",
				 r->conf->file);
	}
	free_names(names);
	return 0;
}

/* Enable in file order, so that minors come back the same. */
static void restore_enable(struct restore *r, int *state)
{
	size_t i;

	for (i = 0; i < r->conf->nr_inst; i++) {
		const struct egmfs_inst *want = &r->conf->inst[i];

		if (state[i] != FIX_DISABLED || !want->enable)
			continue;
		action(r, "enable %s", want->name);
		if (r->dry_run)
			continue;
		if (egmfs_inst_enable(r->ctx, want->name, true))
			r->failed++;
		else
			state[i] = FIX_ENABLED;
	}
}

/*
 * udev makes /dev/egm/NAME after the uevent of the enable: wait for it
 * (one deadline for all), so that libvirt, ordered after this unit,
 * finds the node. Without udev nobody would make it.
 */
static void restore_wait_links(struct restore *r, const int *state)
{
	int left = r->timeout_ms, ret;
	size_t i;

	for (i = 0; i < r->conf->nr_inst; i++) {
		const char *name = r->conf->inst[i].name;
		struct timespec t0, t1;
		char link[PATH_MAX];

		if (state[i] != FIX_ENABLED || !r->conf->inst[i].enable)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = egmfs_inst_wait_link(r->ctx, name, left);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left -= (t1.tv_sec - t0.tv_sec) * 1000 +
			(t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (left < 0)
			left = 0;
		if (!ret)
			continue;
		egmfs_inst_link(r->ctx, name, link, sizeof(link));
		if (ret == -ETIMEDOUT)
			complain(name, "restore",
				 "%s is not its device node after %d s (is udev running with 70-egm.rules?)",
				 link, r->timeout_ms / 1000);
		else
			report(name, "restore", -ret, "waiting for %s", link);
		r->failed++;
	}
}

int cmd_restore(int argc, char **argv, struct egmfs_ctx *ctx)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "wait", no_argument, NULL, 'w' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct restore r = {
		.ctx = ctx, .verbose = !ctx->quiet, .wait = -1,
		.timeout_ms = 30000,
	};
	const char *file = EGMFS_DEFAULT_FILE;
	struct conf conf;
	int *state, ret;
	size_t i;

	ret = parse_opts(argc, argv, "nvwWt:h", opts, restore_usage,
			 restore_opt, &r);
	if (!ret)
		ret = file_operand(argc, argv, restore_usage, &file);
	if (ret)
		return ret;
	if (conf_load(&conf, file, ctx->pagesize))
		return EGMFS_FAIL;
	r.conf = &conf;
	if (restore_others(&r)) {
		conf_free(&conf);
		return EGMFS_FAIL;
	}

	restore_retired(&r);
	state = xcalloc(conf.nr_inst, sizeof(*state));
	for (i = 0; i < conf.nr_inst; i++)
		state[i] = restore_fix(&r, &conf.inst[i]);
	restore_enable(&r, state);
	if (r.wait < 0)
		r.wait = !ctx->fake && !access("/run/udev/control", F_OK);
	if (r.wait && !r.dry_run)
		restore_wait_links(&r, state);
	free(state);
	conf_free(&conf);
	if (r.failed)
		fprintf(stderr, "egmfs: restore: %d failure%s\n", r.failed,
			r.failed == 1 ? "" : "s");
	return r.failed ? EGMFS_FAIL : 0;
}
