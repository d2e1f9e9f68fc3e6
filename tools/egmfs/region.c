// SPDX-License-Identifier: GPL-2.0
/*
 * egmfs: region commands: regions, retire.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

static struct json_object *region_to_json(const struct egmfs_region *r)
{
	struct json_object *o = json_object_new_object(), *a;
	char addr[24];
	size_t i;

	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "base", json_object_new_uint64(r->base));
	json_object_object_add(o, "size", json_object_new_uint64(r->size));
	json_object_object_add(o, "pxm", json_object_new_int64(r->pxm));
	json_object_object_add(o, "numa_node",
			       json_object_new_int(r->numa_node));
	json_object_object_add(o, "source", json_object_new_string(r->source));
	json_object_object_add(o, "free", json_object_new_uint64(r->free));
	json_object_object_add(o, "retired_pages",
			       json_object_new_uint64(r->retired_pages));
	a = json_object_new_array();
	for (i = 0; r->devices && r->devices[i]; i++)
		json_object_array_add(a, json_object_new_string(r->devices[i]));
	json_object_object_add(o, "devices", a);
	a = json_object_new_array();
	for (i = 0; i < r->nr_retired; i++) {
		struct json_object *e = json_object_new_object();

		snprintf(addr, sizeof(addr), "0x%llx",
			 (unsigned long long)r->retired[i].addr);
		json_object_object_add(e, "addr", json_object_new_string(addr));
		json_object_object_add(e, "source",
				       json_object_new_string(r->retired[i].source));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "retired", a);
	return o;
}

static const char regions_usage[] =
"usage: egmfs regions [--json]\n"
"\n"
"List the EGM regions found at module load: base address, size, proximity\n"
"domain, NUMA node, source (acpi or param), free bytes and retired blocks.\n"
"\n"
"  -j, --json   print a JSON array of region objects, with the devices and\n"
"               the retired blocks ({\"addr\", \"source\"}) as arrays\n";

/* 'egmfs regions' without --json: a table, then the retired blocks */
static void regions_text(const struct egmfs_region *v, size_t n)
{
	char size[32], free_[32], devs[256];
	size_t i, j, used;

	if (n)
		printf("%-10s %-18s %8s %4s %4s %-6s %8s %7s %s\n", "REGION",
		       "BASE", "SIZE", "PXM", "NODE", "SOURCE", "FREE",
		       "RETIRED", "DEVICES");
	for (i = 0; i < n; i++) {
		const struct egmfs_region *r = &v[i];

		used = 0;
		devs[0] = '\0';
		for (j = 0; r->devices && r->devices[j]; j++)
			used += snprintf(devs + used,
					 used < sizeof(devs) ?
					 sizeof(devs) - used : 0,
					 "%s%s", j ? "," : "", r->devices[j]);
		printf("%-10s 0x%-16llx %8s %4u %4d %-6s %8s %7zu %s\n",
		       r->name, (unsigned long long)r->base,
		       fmt_size(r->size, size, sizeof(size)), r->pxm,
		       r->numa_node, r->source,
		       fmt_size(r->free, free_, sizeof(free_)),
		       r->nr_retired, devs[0] ? devs : "-");
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].nr_retired; j++)
			printf("%s retired 0x%llx %s\n", v[i].name,
			       (unsigned long long)v[i].retired[j].addr,
			       v[i].retired[j].source);
	}
}

int cmd_regions(int argc, char **argv, struct egmfs_ctx *ctx)
{
	struct egmfs_region *v;
	struct json_object *arr;
	bool json = false;
	size_t i, n;
	int ret;

	ret = read_opts(argc, argv, regions_usage, &json);
	if (!ret)
		ret = no_operands(argc, argv, regions_usage);
	if (ret)
		return ret;
	if (egmfs_region_list(ctx, &v, &n))
		return EGMFS_FAIL;

	if (json) {
		arr = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(arr, region_to_json(&v[i]));
		egmfs_region_list_free(v, n);
		return print_json(arr);
	}
	regions_text(v, n);
	egmfs_region_list_free(v, n);
	return 0;
}

static const char retire_usage[] =
"usage: egmfs retire ADDR\n"
"\n"
"Retire the 64 KiB block holding physical address ADDR: write it to the\n"
"retire file of the region containing it. Mappings of the block are\n"
"removed at once and it is never handed out again until the module is\n"
"reloaded; 'egmfs save' records it so that 'egmfs restore' re-applies\n"
"it at boot. ADDR is decimal or 0x-hex.\n";

int cmd_retire(int argc, char **argv, struct egmfs_ctx *ctx)
{
	const struct egmfs_region *r = NULL;
	struct egmfs_region *v;
	u64 addr;
	size_t i, n;
	int ret;

	ret = parse_opts(argc, argv, "h", help_opts, retire_usage, NULL, NULL);
	if (ret)
		return ret;
	if (argc - optind != 1)
		return usage_error(retire_usage, "retire: expected one ADDR");
	if (parse_size(argv[optind], &addr))
		return usage_error(retire_usage,
				   "retire: invalid address \"%s\"",
				   argv[optind]);
	if (egmfs_region_list(ctx, &v, &n))
		return EGMFS_FAIL;
	for (i = 0; i < n; i++) {
		if (addr >= v[i].base && addr - v[i].base < v[i].size) {
			r = &v[i];
			break;
		}
	}
	if (!r) {
		complain(argv[optind], "retire",
			 "address is not in any EGM region");
		egmfs_region_list_free(v, n);
		return EGMFS_FAIL;
	}
	ret = egmfs_region_retire(ctx, r->name, addr);
	if (ret)
		report(r->name, "retire", -ret, "address 0x%llx",
		       (unsigned long long)addr);
	else
		say(ctx, "retired %s block 0x%llx (64 KiB); 'egmfs save' keeps it across reboots\n",
		    r->name,
		    (unsigned long long)(addr & ~(EGMFS_BLOCK_SIZE - 1)));
	egmfs_region_list_free(v, n);
	return ret ? EGMFS_FAIL : 0;
}
