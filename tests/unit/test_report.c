/*
 * test_report.c - controller/report: axis ticks, escaping, money format,
 * chart geometry (numbers placed where they belong, read back with
 * libxml2), and whole reports: well-formed SVG, relative chart links,
 * byte-identical output for identical inputs, dated reports carried on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/report/fc_report.h"
#include "controller/report/report_int.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t at(const char *s)
{
    int64_t t = 0;
    assert_int_equal(fc_time_parse(s, &t), 0);
    return t;
}

static xmlDocPtr parse(const char *data, size_t len)
{
    xmlDocPtr d = xmlReadMemory(data, (int)len, "chart.svg", NULL, XML_PARSE_NONET);
    assert_non_null(d); /* well-formed */
    return d;
}

/* Every element named `name` (optionally with class="cls"), in order. */
static size_t find_all(xmlNodePtr n, const char *name, const char *cls, xmlNodePtr *out,
                       size_t max, size_t k)
{
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0) {
            xmlChar *c = xmlGetProp(n, (const xmlChar *)"class");
            if ((!cls || (c && strcmp((const char *)c, cls) == 0)) && k < max)
                out[k++] = n;
            xmlFree(c);
        }
        k = find_all(n->children, name, cls, out, max, k);
    }
    return k;
}

static double num_prop(xmlNodePtr n, const char *prop)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)prop);
    double d;
    assert_non_null(v);
    d = strtod((const char *)v, NULL);
    xmlFree(v);
    return d;
}

/* The text of the <title> child of n. */
static char *title_of(xmlNodePtr n)
{
    for (n = n->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "title") == 0)
            return (char *)xmlNodeGetContent(n);
    return NULL;
}

/* ---- numbers and escaping ----------------------------------------------- */

static void test_report__ticks_are_1_2_5(void **state)
{
    double step, top;
    (void)state;
    assert_true(fabs(fc_report_nice_step(100, 5) - 20) < 1e-9);
    assert_true(fabs(fc_report_nice_step(11350, 6) - 2000) < 1e-9);
    assert_true(fabs(fc_report_nice_step(7, 5) - 2) < 1e-9);
    assert_true(fabs(fc_report_nice_step(0.37, 5) - 0.1) < 1e-12);
    assert_true(fabs(fc_report_nice_step(48, 5) - 10) < 1e-9);
    assert_true(fabs(fc_report_nice_step(3000, 6) - 500) < 1e-9);
    assert_int_equal(fc_report_axis(11350, 6, &step, &top), 7);
    assert_true(fabs(step - 2000) < 1e-9 && fabs(top - 12000) < 1e-9);
    assert_int_equal(fc_report_axis(5000, 6, &step, &top), 6);
    assert_true(fabs(step - 1000) < 1e-9 && fabs(top - 5000) < 1e-9);
    /* nothing to show still gives an axis */
    assert_int_equal(fc_report_axis(0, 5, &step, &top), 6);
    assert_true(top > 0);
}

static void test_report__escaping(void **state)
{
    fc_buf b;
    (void)state;
    fc_buf_init(&b);
    assert_int_equal(fc_report_xml_escape(&b, "R&D <ops> \"q\" 'a'\x01"), FC_OK);
    assert_string_equal(b.data, "R&amp;D &lt;ops&gt; &quot;q&quot; &apos;a&apos; ");
    b.len = 0;
    assert_int_equal(fc_report_md_escape(&b, "a|b\nc<x>&"), FC_OK);
    b.data[b.len] = '\0';
    assert_string_equal(b.data, "a\\|b c&lt;x&gt;&amp;");
    fc_buf_dispose(&b);
}

static void test_report__money_format(void **state)
{
    char s[64];
    (void)state;
    fc_report_amount(s, sizeof(s), 1234567.891, 2);
    assert_string_equal(s, "1,234,567.89");
    fc_report_amount(s, sizeof(s), -1234.5, 2);
    assert_string_equal(s, "-1,234.50");
    fc_report_amount(s, sizeof(s), -0.001, 2);
    assert_string_equal(s, "0.00");
    fc_report_amount(s, sizeof(s), 11000, 0);
    assert_string_equal(s, "11,000");
    fc_report_amount(s, sizeof(s), 999, 0);
    assert_string_equal(s, "999");
    fc_report_money(s, sizeof(s), 12, "EUR");
    assert_string_equal(s, "12.00 EUR");
    fc_report_day_label(s, sizeof(s), at("2026-11-20"));
    assert_string_equal(s, "Nov 20");
}

/* ---- charts ----------------------------------------------------------------- */

static void test_report__bar_width_proportional_to_value(void **state)
{
    fc_chart_bar bars[3] = {{"big & <bold>", 100, NULL},
                            {"half \"quoted\"", 50, NULL},
                            {"quarter 'q'", 25, NULL}};
    xmlNodePtr rects[8], texts[64];
    fc_buf b;
    xmlDocPtr d;
    size_t n, i, nt;
    int found = 0;
    (void)state;

    fc_buf_init(&b);
    assert_int_equal(fc_chart_bars_svg(&b, "Savings & more", "USD", bars, 3), FC_OK);
    d = parse(b.data, b.len);
    assert_int_equal(num_prop(xmlDocGetRootElement(d), "height"), fc_chart_bars_height(3));
    n = find_all(xmlDocGetRootElement(d), "rect", "bar", rects, 8, 0);
    assert_int_equal(n, 3);
    /* axis top is 100 (step 20): the biggest bar fills the bar area */
    assert_true(fabs(num_prop(rects[0], "width") - (FC_BAR_X1 - FC_BAR_X0)) < 0.01);
    assert_true(fabs(num_prop(rects[1], "width") / num_prop(rects[0], "width") - 0.5) < 1e-3);
    assert_true(fabs(num_prop(rects[2], "width") / num_prop(rects[0], "width") - 0.25) < 1e-3);
    for (i = 0; i < n; i++)
        assert_true(fabs(num_prop(rects[i], "x") - FC_BAR_X0) < 0.01);
    /* names survive the escaping: the parsed text is the original */
    nt = find_all(xmlDocGetRootElement(d), "text", NULL, texts, 64, 0);
    for (i = 0; i < nt; i++) {
        xmlChar *t = xmlNodeGetContent(texts[i]);
        found += strcmp((const char *)t, "big & <bold>") == 0 ||
                 strcmp((const char *)t, "half \"quoted\"") == 0;
        xmlFree(t);
    }
    assert_int_equal(found, 2);
    xmlFreeDoc(d);
    fc_buf_dispose(&b);
}

static void test_report__time_chart_places_points(void **state)
{
    const double x[3] = {0, 1, 2}, y[3] = {0, 50, 100};
    fc_chart_series s = {"cost <a&b>", x, y, 3, 0, NULL};
    fc_chart_hline h = {"budget", 120, 0, NULL};
    fc_chart_marker m = {1, 50, "spike 'x'"};
    fc_chart_time c;
    xmlNodePtr paths[8], lines[64], circles[8];
    fc_buf b;
    xmlDocPtr d;
    xmlChar *dattr;
    double top, px, py;
    size_t n, i;
    int hit = 0;
    char *t;
    (void)state;

    memset(&c, 0, sizeof(c));
    c.title = "T";
    c.unit = "USD";
    c.day0 = at("2026-11-01");
    c.xmax = 2;
    c.series = &s;
    c.nseries = 1;
    c.hlines = &h;
    c.nhlines = 1;
    c.markers = &m;
    c.nmarkers = 1;
    c.marker_label = "anomaly";
    top = fc_chart_time_top(&c);
    assert_true(fabs(top - 120) < 1e-9); /* the budget line is the maximum; step 20 */
    fc_buf_init(&b);
    assert_int_equal(fc_chart_time_svg(&b, &c), FC_OK);
    d = parse(b.data, b.len);
    assert_int_equal(find_all(xmlDocGetRootElement(d), "path", NULL, paths, 8, 0), 1);
    t = title_of(paths[0]);
    assert_string_equal(t, "cost <a&b>");
    xmlFree(t);
    /* the second point of the path is (1, 50) in plot coordinates */
    dattr = xmlGetProp(paths[0], (const xmlChar *)"d");
    assert_int_equal(sscanf(strchr((const char *)dattr, 'L') + 1, "%lf %lf", &px, &py), 2);
    xmlFree(dattr);
    assert_true(fabs(px - (FC_PLOT_L + (FC_PLOT_R - FC_PLOT_L) / 2)) < 0.06);
    assert_true(fabs(py - (FC_PLOT_B - (FC_PLOT_B - FC_PLOT_T) * 50 / 120)) < 0.06);
    assert_int_equal(find_all(xmlDocGetRootElement(d), "circle", "marker", circles, 8, 0), 1);
    assert_true(fabs(num_prop(circles[0], "cx") - px) < 0.06);
    assert_true(fabs(num_prop(circles[0], "cy") - py) < 0.06);
    /* the budget line sits at the top of the axis */
    n = find_all(xmlDocGetRootElement(d), "line", NULL, lines, 64, 0);
    for (i = 0; i < n; i++) {
        char *lt = title_of(lines[i]);
        if (lt && strcmp(lt, "budget") == 0) {
            hit++;
            assert_true(fabs(num_prop(lines[i], "y1") - FC_PLOT_T) < 0.06);
        }
        xmlFree(lt);
    }
    assert_int_equal(hit, 1);
    xmlFreeDoc(d);
    fc_buf_dispose(&b);
}

static void test_report__stacked_areas_add_up(void **state)
{
    const double a[2] = {10, 20}, bb[2] = {30, 40};
    fc_chart_series s[2] = {{"a", NULL, a, 2, 0, NULL}, {"b", NULL, bb, 2, 0, NULL}};
    fc_chart_time c;
    xmlNodePtr paths[4];
    fc_buf b;
    xmlDocPtr d;
    xmlChar *dattr;
    double x0, y0, x1, y1;
    (void)state;

    memset(&c, 0, sizeof(c));
    c.title = "stack";
    c.day0 = at("2026-11-01");
    c.xmax = 1;
    c.stacked = 1;
    c.series = s;
    c.nseries = 2;
    assert_true(fabs(fc_chart_time_top(&c) - 60) < 1e-9); /* 20 + 40, step 10 */
    fc_buf_init(&b);
    assert_int_equal(fc_chart_time_svg(&b, &c), FC_OK);
    d = parse(b.data, b.len);
    assert_int_equal(find_all(xmlDocGetRootElement(d), "path", NULL, paths, 4, 0), 2);
    /* the upper edge of the second area is the sum of both */
    dattr = xmlGetProp(paths[1], (const xmlChar *)"d");
    assert_int_equal(sscanf((const char *)dattr, "M%lf %lf L%lf %lf", &x0, &y0, &x1, &y1), 4);
    xmlFree(dattr);
    assert_true(fabs(y0 - fc_chart_y(60, 40)) < 0.06);
    assert_true(fabs(y1 - fc_chart_y(60, 60)) < 0.06);
    assert_true(fabs(x1 - FC_PLOT_R) < 0.06);
    /* unequal lengths cannot be stacked */
    s[1].n = 1;
    b.len = 0;
    assert_int_equal(fc_chart_time_svg(&b, &c), FC_EINVALID);
    xmlFreeDoc(d);
    fc_buf_dispose(&b);
}

/* ---- whole reports ---------------------------------------------------------- */

static const char specs_yaml[] =
    "apiVersion: finops.dev/v1alpha1\n"
    "kind: Budget\n"
    "metadata: {name: team-a}\n"
    "spec:\n"
    "  amount: 5000\n"
    "  period: monthly\n"
    "  thresholds:\n"
    "    - {percent: 50, type: actual}\n"
    "    - {percent: 100, type: forecast}\n"
    "---\n"
    "apiVersion: finops.dev/v1alpha1\n"
    "kind: Schedule\n"
    "metadata: {name: default}\n"
    "spec:\n"
    "  report: {weekday: mon, time: \"08:00\"}\n";

typedef struct {
    fc_spec_set *set;
    fc_inventory inv;
    fc_recommendation_list recs;
    fc_anomaly_list anomalies;
    fc_status_tree status;
    fc_report_input in;
} fixture;

static void add_rec(fc_recommendation_list *l, const char *rule, const char *res, double saving,
                    fc_risk risk, const char *action)
{
    fc_recommendation *r;
    l->items = realloc(l->items, (l->n + 1) * sizeof(*l->items));
    assert_non_null(l->items);
    r = &l->items[l->n++];
    memset(r, 0, sizeof(*r));
    r->id = fc_recommendation_id(rule, res);
    r->rule = fc_strdup(rule);
    r->account = fc_strdup("111122223333");
    r->region = fc_strdup("eu-west-1");
    r->resource = fc_strdup(res);
    r->summary = fc_asprintf("%s is idle | <really>", res);
    r->currency = fc_strdup("USD");
    r->action = fc_strdup(action);
    r->monthly_saving = saving;
    r->risk = risk;
    r->evidence = calloc(1, sizeof(*r->evidence));
    r->evidence[0].key = fc_strdup("cpu");
    r->evidence[0].value = fc_strdup("1.5");
    r->nevidence = 1;
}

static void fixture_init(fixture *f, int64_t now)
{
    fc_spec_file file = {"finops/specs.yaml", specs_yaml, sizeof(specs_yaml) - 1};
    fc_anomaly an;
    fc_anomaly_day days[2];
    int64_t d, start = at("2026-08-01");

    memset(f, 0, sizeof(*f));
    assert_int_equal(fc_specs_load(&f->set, &file, 1), FC_OK);
    assert_int_equal(f->set->nerrors, 0);
    fc_inventory_init(&f->inv);
    fc_recommendation_list_init(&f->recs);
    fc_anomaly_list_init(&f->anomalies);
    fc_status_tree_init(&f->status);
    /* 100/day of compute, 20/day of "R&D <tools>" with a spike on Nov 10 */
    for (d = start; d < now; d += FC_DAY) {
        assert_int_equal(fc_inventory_add_cost(&f->inv, "111122223333", "Compute", d, 100), FC_OK);
        assert_int_equal(fc_inventory_add_cost(&f->inv, "111122223333", "R&D <tools>", d,
                                               d == at("2026-11-10") ? 220 : 20),
                         FC_OK);
    }
    add_rec(&f->recs, "idle-ec2-instance", "i-1", 300, FC_RISK_LOW, "stop");
    add_rec(&f->recs, "idle-ec2-instance", "i-2", 100, FC_RISK_MEDIUM, "stop");
    add_rec(&f->recs, "unattached-ebs-volume", "vol-1", 50, FC_RISK_HIGH, "none");
    memset(&an, 0, sizeof(an));
    memset(days, 0, sizeof(days));
    an.id = "anomaly-20261110-111122223333-r-d-tools";
    an.account = "111122223333";
    an.service = "R&D <tools>";
    an.region = "";
    an.currency = "USD";
    an.first_day = an.last_day = at("2026-11-10");
    an.open = 1;
    an.impact = 200;
    an.severity = FC_ANOMALY_HIGH;
    days[0].day = at("2026-11-10");
    days[0].actual = 220;
    days[0].expected = 20;
    days[0].z = 9;
    an.days = days;
    an.ndays = 1;
    assert_int_equal(fc_anomaly_list_add(&f->anomalies, &an), FC_OK);
    assert_int_equal(fc_status_tree_add_raw(&f->status, "proposals/idle-ec2-instance-i-1.yaml",
                                            "x", 1),
                     FC_OK);
    f->in.now = now;
    f->in.currency = "USD";
    f->in.specs = f->set;
    f->in.inv = &f->inv;
    f->in.recs = &f->recs;
    f->in.anomalies = &f->anomalies;
    f->in.status = &f->status;
}

static void fixture_dispose(fixture *f)
{
    fc_spec_set_free(f->set);
    fc_inventory_dispose(&f->inv);
    fc_recommendation_list_dispose(&f->recs);
    fc_anomaly_list_dispose(&f->anomalies);
    fc_status_tree_dispose(&f->status);
}

static const fc_status_file *get(const fc_status_tree *t, const char *path)
{
    const fc_status_file *f = fc_status_tree_get(t, path);
    if (!f)
        fail_msg("missing %s", path);
    return f;
}

static void test_report__report_is_complete_and_well_formed(void **state)
{
    fixture f;
    fc_status_tree t;
    const fc_status_file *md;
    char *text;
    size_t i, nsvg = 0;
    (void)state;

    fixture_init(&f, at("2026-11-20T12:00:00Z"));
    fc_status_tree_init(&t);
    assert_int_equal(fc_report_build(&t, &f.in, FC_REPORT_ALL, "status/reports", 0), FC_OK);
    md = get(&t, "status/reports/latest.md");
    text = strndup(md->data, md->len);
    assert_non_null(strstr(text, "## Executive summary"));
    assert_non_null(strstr(text, "## Detailed findings"));
    assert_non_null(strstr(text, "## Prioritised recommendations"));
    assert_non_null(strstr(text, "## Budgets"));
    assert_non_null(strstr(text, "## Anomalies"));
    assert_non_null(strstr(text, "## Next steps"));
    /* 300 x 0.9 ranks before 100 x 0.7; only the existing proposal is named */
    assert_true(strstr(text, "(`idle-ec2-instance-i-1`)") < strstr(text, "(`idle-ec2-instance-i-2`)"));
    assert_non_null(strstr(text, "Approve [proposals/idle-ec2-instance-i-1.yaml]"
                                 "(../../proposals/idle-ec2-instance-i-1.yaml)"));
    assert_null(strstr(text, "proposals/idle-ec2-instance-i-2.yaml"));
    /* markdown-escaped names; money with the currency */
    assert_non_null(strstr(text, "is idle \\| &lt;really&gt;"));
    assert_non_null(strstr(text, "| Potential monthly savings | 450.00 USD from 3"));
    /* 20 days of 120/day (today's row included) plus the spike = 2,600 of 5,000 */
    assert_non_null(strstr(text, "| team-a | 2026-11-01 | 5,000.00 USD | 2,600.00 USD | 52.0% |"));
    assert_non_null(strstr(text, "Investigate `anomaly-20261110-111122223333-r-d-tools`"));
    /* every linked chart exists and is well-formed XML */
    for (i = 0; i < t.n; i++) {
        const fc_status_file *sf = &t.files[i];
        const char *name;
        char link[300];
        xmlDocPtr d;
        if (!strstr(sf->path, ".svg"))
            continue;
        nsvg++;
        name = strrchr(sf->path, '/') + 1;
        snprintf(link, sizeof(link), "](charts/%s)", name);
        assert_non_null(strstr(text, link));
        assert_non_null(strstr(sf->path, "status/reports/charts/"));
        d = parse(sf->data, sf->len);
        xmlFreeDoc(d);
    }
    /* cost by service, savings by rule, one burn-down, one anomaly */
    assert_int_equal(nsvg, 4);
    assert_non_null(fc_status_tree_get(&t, "status/reports/charts/budget-team-a.svg"));
    assert_null(fc_status_tree_get(&t, "status/reports/index.md")); /* not dated */
    free(text);
    fc_status_tree_dispose(&t);
    fixture_dispose(&f);
}

static void test_report__identical_inputs_identical_bytes(void **state)
{
    fixture f;
    fc_status_tree a, b;
    size_t i;
    (void)state;

    fixture_init(&f, at("2026-11-20T12:00:00Z"));
    fc_status_tree_init(&a);
    fc_status_tree_init(&b);
    assert_int_equal(fc_report_build(&a, &f.in, FC_REPORT_ALL, "status/reports", 1), FC_OK);
    assert_int_equal(fc_report_build(&b, &f.in, FC_REPORT_ALL, "status/reports", 1), FC_OK);
    assert_int_equal(a.n, b.n);
    for (i = 0; i < a.n; i++) {
        assert_string_equal(a.files[i].path, b.files[i].path);
        assert_int_equal(a.files[i].len, b.files[i].len);
        assert_memory_equal(a.files[i].data, b.files[i].data, a.files[i].len);
    }
    fc_status_tree_dispose(&a);
    fc_status_tree_dispose(&b);
    fixture_dispose(&f);
}

/* The burn-down: cumulative spend at each day boundary, forecast to the end. */
static void test_report__burn_down_numbers(void **state)
{
    fixture f;
    fc_status_tree t;
    const fc_status_file *svg;
    xmlNodePtr paths[8];
    xmlDocPtr d;
    size_t n, i;
    int seen = 0;
    (void)state;

    fixture_init(&f, at("2026-11-20T12:00:00Z"));
    fc_status_tree_init(&t);
    assert_int_equal(fc_report_build(&t, &f.in, FC_REPORT_BUDGET, "", 0), FC_OK);
    assert_non_null(fc_status_tree_get(&t, "budget.md"));
    svg = get(&t, "charts/budget-team-a.svg");
    d = parse(svg->data, svg->len);
    n = find_all(xmlDocGetRootElement(d), "path", NULL, paths, 8, 0);
    for (i = 0; i < n; i++) {
        char *title = title_of(paths[i]);
        xmlChar *dattr = xmlGetProp(paths[i], (const xmlChar *)"d");
        const char *last = strrchr((const char *)dattr, 'L');
        double px, py;
        assert_non_null(last);
        assert_int_equal(sscanf(last + 1, "%lf %lf", &px, &py), 2);
        /* axis: max(5000 budget, forecast) = 5000 -> top 5000 (step 1000);
         * x axis: 30 days of November */
        if (strcmp(title, "actual spend (cumulative)") == 0) {
            char want[64];
            /* end of Nov 19: 19 x 120 + the 200 spike = 2480 */
            snprintf(want, sizeof(want), "L%.1f %.1f ",
                     FC_PLOT_L + (FC_PLOT_R - FC_PLOT_L) * 19 / 30, fc_chart_y(5000, 2480));
            assert_non_null(strstr((const char *)dattr, want));
            /* then now (Nov 20 12:00) with today's 120 so far */
            assert_true(fabs(px - (FC_PLOT_L + (FC_PLOT_R - FC_PLOT_L) * 19.5 / 30)) < 0.06);
            assert_true(fabs(py - fc_chart_y(5000, 2600)) < 0.06);
            seen++;
        } else if (strcmp(title, "forecast to period end") == 0) {
            /* ends on the last day of the period, above the actual */
            assert_true(fabs(px - FC_PLOT_R) < 0.06);
            assert_true(py < fc_chart_y(5000, 2480) - 10);
            seen++;
        }
        xmlFree(dattr);
        xmlFree(title);
    }
    assert_int_equal(seen, 2);
    xmlFreeDoc(d);
    fc_status_tree_dispose(&t);
    fixture_dispose(&f);
}

typedef struct {
    const char *path[4];
    const char *data[4];
} prev_files;

static int prev_read(void *payload, const char *path, fc_buf *out)
{
    prev_files *p = payload;
    size_t i;
    for (i = 0; i < 4 && p->path[i]; i++)
        if (strcmp(p->path[i], path) == 0) {
            out->len = 0;
            return fc_buf_puts(out, p->data[i]);
        }
    return FC_ENOTFOUND;
}

static void test_report__dated_reports_carried_forward(void **state)
{
    fixture f;
    fc_status_tree t;
    prev_files prev = {{"status/reports/index.md", "status/reports/2026-11-09.md",
                        NULL, NULL},
                       {"# Weekly FinOps reports\n\n[Latest](latest.md)\n"
                        "- [2026-11-09](2026-11-09.md)\n- [2026-11-02](2026-11-02.md)\n",
                        "old report\n", NULL, NULL}};
    const fc_status_file *idx, *old, *latest, *dated;
    (void)state;

    /* 2026-11-16 is a Monday, the Schedule's report weekday */
    fixture_init(&f, at("2026-11-16T09:00:00Z"));
    assert_true(fc_report_due(f.set, at("2026-11-16T09:00:00Z")));
    assert_false(fc_report_due(f.set, at("2026-11-17T09:00:00Z")));
    f.in.prev = prev_read;
    f.in.prev_payload = &prev;
    fc_status_tree_init(&t);
    assert_int_equal(fc_report_build(&t, &f.in, FC_REPORT_ALL, "status/reports", 1), FC_OK);
    latest = get(&t, "status/reports/latest.md");
    dated = get(&t, "status/reports/2026-11-16.md");
    assert_int_equal(latest->len, dated->len);
    assert_memory_equal(latest->data, dated->data, latest->len);
    old = get(&t, "status/reports/2026-11-09.md");
    assert_int_equal(old->len, strlen("old report\n"));
    /* 2026-11-02 is gone from the previous status: dropped from the index */
    assert_null(fc_status_tree_get(&t, "status/reports/2026-11-02.md"));
    idx = get(&t, "status/reports/index.md");
    assert_int_equal(idx->len, strlen("# Weekly FinOps reports\n\n[Latest](latest.md)\n"
                                      "- [2026-11-16](2026-11-16.md)\n"
                                      "- [2026-11-09](2026-11-09.md)\n"));
    assert_memory_equal(idx->data,
                        "# Weekly FinOps reports\n\n[Latest](latest.md)\n"
                        "- [2026-11-16](2026-11-16.md)\n- [2026-11-09](2026-11-09.md)\n",
                        idx->len);
    fc_status_tree_dispose(&t);
    fixture_dispose(&f);
}

static void test_report__kinds(void **state)
{
    (void)state;
    assert_int_equal(fc_report_kind_parse("all"), FC_REPORT_ALL);
    assert_int_equal(fc_report_kind_parse("budget"), FC_REPORT_BUDGET);
    assert_int_equal(fc_report_kind_parse("anomaly"), FC_REPORT_ANOMALY);
    assert_int_equal(fc_report_kind_parse("discovery"), FC_REPORT_DISCOVERY);
    assert_int_equal(fc_report_kind_parse("optimization"), FC_REPORT_OPTIMIZATION);
    assert_int_equal(fc_report_kind_parse("everything"), -1);
    assert_int_equal(fc_report_kind_parse(NULL), -1);
    assert_string_equal(fc_report_kind_name(FC_REPORT_ANOMALY), "anomaly");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report__ticks_are_1_2_5),
        cmocka_unit_test(test_report__escaping),
        cmocka_unit_test(test_report__money_format),
        cmocka_unit_test(test_report__bar_width_proportional_to_value),
        cmocka_unit_test(test_report__time_chart_places_points),
        cmocka_unit_test(test_report__stacked_areas_add_up),
        cmocka_unit_test(test_report__report_is_complete_and_well_formed),
        cmocka_unit_test(test_report__identical_inputs_identical_bytes),
        cmocka_unit_test(test_report__burn_down_numbers),
        cmocka_unit_test(test_report__dated_reports_carried_forward),
        cmocka_unit_test(test_report__kinds),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
