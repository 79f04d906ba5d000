/*
 * test_inventory.c - inventory storage: resources packed into one block per
 * copy, unpacked before a provider amends them, and series names.
 */
#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void sample(fc_resource *r, fc_tag *tags, fc_tag *attrs)
{
    memset(r, 0, sizeof(*r));
    r->type = FC_RES_EBS_VOLUME;
    r->id = "vol-0123";
    r->account = "111111111111";
    r->region = "eu-west-1";
    r->state = "in-use";
    r->size_class = "gp2";
    r->size = 100;
    r->attached_to = "i-0abc";
    r->created = 1700000000;
    tags[0].key = "env";
    tags[0].value = "prod";
    tags[1].key = "team";
    tags[1].value = "";
    r->tags = tags;
    r->ntags = 2;
    attrs[0].key = "iops";
    attrs[0].value = "300";
    r->attrs = attrs;
    r->nattrs = 1;
    /* name stays NULL: optional fields keep their absence */
}

static void test_inventory__packed_copy_is_equal(void **state)
{
    fc_inventory inv;
    fc_resource src;
    fc_tag tags[2], attrs[1];
    const fc_resource *r;
    (void)state;

    sample(&src, tags, attrs);
    fc_inventory_init(&inv);
    assert_int_equal(fc_inventory_add_resource(&inv, &src), FC_OK);
    src.id = "vol-0456";
    src.ntags = 0;
    src.tags = NULL;
    src.nattrs = 0;
    src.attrs = NULL;
    assert_int_equal(fc_inventory_add_resource(&inv, &src), FC_OK);
    r = &inv.resources[0];
    assert_non_null(r->slab);
    assert_string_equal(r->id, "vol-0123");
    assert_string_equal(r->account, "111111111111");
    assert_string_equal(r->region, "eu-west-1");
    assert_null(r->name);
    assert_string_equal(r->state, "in-use");
    assert_string_equal(r->size_class, "gp2");
    assert_string_equal(r->attached_to, "i-0abc");
    assert_true(r->size == 100 && r->created == 1700000000);
    assert_int_equal(r->ntags, 2);
    assert_string_equal(fc_resource_tag(r, "env"), "prod");
    assert_string_equal(fc_resource_tag(r, "team"), "");
    assert_string_equal(fc_resource_attr(r, "iops"), "300");
    /* the copy shares nothing with the source */
    assert_ptr_not_equal(r->tags, tags);
    assert_ptr_not_equal(r->id, src.id);
    r = &inv.resources[1];
    assert_string_equal(r->id, "vol-0456");
    assert_null(r->tags);
    assert_null(r->attrs);
    assert_int_equal(fc_inventory_index(&inv), FC_OK);
    assert_ptr_equal(fc_inventory_find(&inv, NULL, NULL, "vol-0456"), r);
    fc_inventory_dispose(&inv);
}

static void test_inventory__unpack_then_amend(void **state)
{
    fc_inventory inv;
    fc_resource src, *r;
    fc_tag tags[2], attrs[1], *t;
    (void)state;

    sample(&src, tags, attrs);
    fc_inventory_init(&inv);
    assert_int_equal(fc_inventory_add_resource(&inv, &src), FC_OK);
    r = &inv.resources[0];
    assert_int_equal(fc_resource_unpack(r), FC_OK);
    assert_null(r->slab);
    assert_int_equal(fc_resource_unpack(r), FC_OK); /* already loose: no-op */
    assert_string_equal(fc_resource_tag(r, "env"), "prod");
    /* what a provider does after discovery: grow the arrays, replace a field */
    t = realloc(r->tags, 3 * sizeof(*t));
    assert_non_null(t);
    r->tags = t;
    t[2].key = fc_strdup("owner");
    t[2].value = fc_strdup("data");
    r->ntags = 3;
    free(r->state);
    r->state = fc_strdup("available");
    assert_string_equal(fc_resource_tag(r, "owner"), "data");
    assert_string_equal(r->state, "available");
    assert_string_equal(r->id, "vol-0123");
    fc_inventory_dispose(&inv);
}

static void test_inventory__copy_of_packed_is_loose(void **state)
{
    fc_inventory inv;
    fc_resource src, copy;
    fc_tag tags[2], attrs[1];
    (void)state;

    sample(&src, tags, attrs);
    fc_inventory_init(&inv);
    assert_int_equal(fc_inventory_add_resource(&inv, &src), FC_OK);
    assert_int_equal(fc_resource_copy(&copy, &inv.resources[0]), FC_OK);
    assert_null(copy.slab);
    assert_string_equal(copy.attached_to, "i-0abc");
    fc_inventory_dispose(&inv); /* the copy outlives the inventory */
    assert_string_equal(fc_resource_attr(&copy, "iops"), "300");
    free(copy.state);
    copy.state = fc_strdup("deleting");
    fc_resource_dispose(&copy);
}

static void test_inventory__series_names(void **state)
{
    fc_inventory inv;
    double *v = malloc(3 * sizeof(*v));
    const fc_metric_series *s;
    (void)state;

    assert_non_null(v);
    v[0] = 1;
    v[1] = 2;
    v[2] = 3;
    fc_inventory_init(&inv);
    assert_int_equal(fc_inventory_add_metric_take(&inv, "i-0abc", "CPUUtilization", 0, 3600,
                                                  v, 3),
                     FC_OK);
    assert_int_equal(fc_inventory_add_metric_take(&inv, "i-0abc", "NetworkIn", 0, 3600, NULL,
                                                  0),
                     FC_OK);
    assert_int_equal(fc_inventory_index(&inv), FC_OK);
    s = fc_inventory_metric(&inv, "i-0abc", "CPUUtilization");
    assert_non_null(s);
    assert_string_equal(s->resource_id, "i-0abc");
    assert_string_equal(s->metric, "CPUUtilization");
    assert_true(s->values[2] == 3);
    s = fc_inventory_metric(&inv, "i-0abc", "NetworkIn");
    assert_non_null(s);
    assert_string_equal(s->metric, "NetworkIn");
    assert_null(fc_inventory_metric(&inv, "i-0abc", "NetworkOut"));
    fc_inventory_dispose(&inv);
}

/* The index sorts ids by a 24-byte key first: ids that share it, end
 * inside one of its words, are exactly 8, 16 or 24 bytes, or carry bytes
 * over 0x7f must still be found, and a duplicate id finds its first copy. */
static void test_inventory__index_prefixes(void **state)
{
    static const char *const ids[] = {
        "i-00000000b", "i-00000000a", "i-0000000", "i-000000", "i-00000",
        "i-0000000a",  "\xc3\xa9t\xc3\xa9", "\xc3\xa9", "a", "ab",
        "abcdefgh",   "abcdefghi", "abcdefgg", "i-00000000", "vol-1", "vol-10",
        "vol-0df63c9d733e15be5-c1", "vol-0df63c9d733e15be5-c12", "vol-0df63c9d733e15be5",
        "vol-0df63c9d733e15be5-c2", "abcdefghijklmnop", "abcdefghijklmnopq",
        "abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwxy", "abcdefghijklmnopqrstuvwx\xff",
    };
    fc_inventory inv;
    fc_resource r;
    fc_tag tags[2], attrs[1];
    size_t i;
    (void)state;

    fc_inventory_init(&inv);
    sample(&r, tags, attrs);
    for (i = 0; i < FC_ARRAY_LEN(ids); i++) {
        r.id = (char *)ids[i];
        r.size = (double)i;
        assert_int_equal(fc_inventory_add_resource(&inv, &r), FC_OK);
        assert_int_equal(fc_inventory_add_metric_take(&inv, ids[i], "CPUUtilization", 0,
                                                      3600, NULL, 0),
                         FC_OK);
    }
    r.id = "abcdefgh"; /* a duplicate, later: the first copy wins */
    r.size = 99;
    assert_int_equal(fc_inventory_add_resource(&inv, &r), FC_OK);
    assert_int_equal(fc_inventory_index(&inv), FC_OK);
    for (i = 0; i < FC_ARRAY_LEN(ids); i++) {
        const fc_resource *f = fc_inventory_find(&inv, NULL, NULL, ids[i]);
        const fc_metric_series *s = fc_inventory_metric(&inv, ids[i], "CPUUtilization");
        assert_non_null(f);
        assert_string_equal(f->id, ids[i]);
        assert_true(f->size == (double)i);
        assert_non_null(s);
        assert_string_equal(s->resource_id, ids[i]);
    }
    assert_null(fc_inventory_find(&inv, NULL, NULL, "abcdefg"));
    assert_null(fc_inventory_find(&inv, NULL, NULL, "i-0000000b"));
    assert_null(fc_inventory_metric(&inv, "i-0", "CPUUtilization"));
    /* The index is in strcmp order. */
    for (i = 1; i < inv.nby_id; i++)
        assert_true(strcmp(inv.resources[inv.by_id[i - 1]].id,
                           inv.resources[inv.by_id[i]].id) <= 0);
    fc_inventory_dispose(&inv);
}

/* Appends grow arrays by their blocks' own size: an array a caller
 * allocated by hand, exactly full, still takes more (ASan sees overflow). */
static void test_inventory__appends_to_hand_made_arrays(void **state)
{
    fc_inventory inv;
    fc_resource r;
    fc_tag tags[2], attrs[1];
    char id[32];
    size_t i;
    (void)state;
    fc_inventory_init(&inv);
    sample(&r, tags, attrs);
    inv.resources = calloc(3, sizeof(*inv.resources));
    inv.metrics = calloc(1, sizeof(*inv.metrics));
    assert_non_null(inv.resources);
    assert_non_null(inv.metrics);
    for (i = 0; i < 3; i++) {
        snprintf(id, sizeof(id), "vol-hand-%zu", i);
        r.id = id;
        assert_int_equal(fc_resource_copy(&inv.resources[i], &r), FC_OK);
    }
    inv.nresources = 3;
    for (i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "vol-%04zu", i);
        r.id = id;
        r.size = (double)i;
        assert_int_equal(fc_inventory_add_resource(&inv, &r), FC_OK);
        assert_int_equal(fc_inventory_add_metric_take(&inv, id, "VolumeIdleTime", 0, 3600,
                                                      NULL, 0),
                         FC_OK);
    }
    assert_int_equal(inv.nresources, 1003);
    assert_int_equal(inv.nmetrics, 1000);
    assert_string_equal(inv.resources[0].id, "vol-hand-0");
    assert_string_equal(inv.resources[1002].id, "vol-0999");
    assert_true(inv.resources[1002].size == 999);
    assert_string_equal(inv.metrics[999].resource_id, "vol-0999");
    fc_inventory_dispose(&inv);
}

/* fc_str_key_cmp is strcmp, for strings sharing prefixes of every length
 * around the key's 8-byte words and bytes over 0x7f. */
static void test_inventory__str_key_is_strcmp(void **state)
{
    static const char alpha[] = {'a', 'b', '-', '\x7f', '\x80', '\xff'};
    char s[64][40];
    fc_str_key k[64];
    uint64_t x = 0x243f6a8885a308d3ULL;
    int i, j, round;
    (void)state;
    for (round = 0; round < 200; round++) {
        for (i = 0; i < 64; i++) {
            int n, c;
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            n = (int)(x % 33);
            for (c = 0; c < n; c++) /* mostly shared: long equal runs of 'a' */
                s[i][c] = (x >> (c % 50)) % 5 ? 'a' : alpha[(x >> c) % sizeof(alpha)];
            s[i][n] = '\0';
            fc_str_key_of(&k[i], s[i]);
        }
        for (i = 0; i < 64; i++)
            for (j = 0; j < 64; j++) {
                int want = strcmp(s[i], s[j]), got = fc_str_key_cmp(&k[i], s[i], &k[j], s[j]);
                assert_int_equal(want < 0 ? -1 : want > 0, got < 0 ? -1 : got > 0);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inventory__packed_copy_is_equal),
        cmocka_unit_test(test_inventory__unpack_then_amend),
        cmocka_unit_test(test_inventory__copy_of_packed_is_loose),
        cmocka_unit_test(test_inventory__series_names),
        cmocka_unit_test(test_inventory__index_prefixes),
        cmocka_unit_test(test_inventory__str_key_is_strcmp),
        cmocka_unit_test(test_inventory__appends_to_hand_made_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
