/*
 * report_int.h - folder-private pieces of controller/report: number and
 * money formatting, XML escaping, axis ticks and the three SVG chart kinds
 * (time series as lines or stacked areas, with reference lines and markers;
 * horizontal bars).  Exposed here so tests/unit/test_report.c can check
 * them one by one.
 *
 * Charts are plain text written into an fc_buf: fixed width/height and
 * viewBox, fixed decimals, so the same inputs give the same bytes.
 */
#ifndef FC_REPORT_INT_H
#define FC_REPORT_INT_H

#include "controller/core/fc_util.h"

#include <stddef.h>
#include <stdint.h>

/* Geometry of time-series charts (viewBox 0 0 W H; plot area inside). */
#define FC_CHART_W 860
#define FC_CHART_H 400
#define FC_PLOT_L 76.0
#define FC_PLOT_R 560.0
#define FC_PLOT_T 52.0
#define FC_PLOT_B 340.0
/* Bar charts: label column, bar area, row height. */
#define FC_BAR_X0 290.0
#define FC_BAR_X1 740.0
#define FC_BAR_TOP 56.0
#define FC_BAR_ROW 26.0

/* 1, 2 or 5 times a power of ten: the smallest such step giving at most
 * `target` intervals over span (span > 0, target >= 1). */
double fc_report_nice_step(double span, int target);
/* Axis from 0 to at least max: *step (nice) and *top (a multiple of it);
 * returns the number of ticks including 0.  max <= 0 gives 0..1. */
int fc_report_axis(double max, int target, double *step, double *top);

/* "12,345.68" with `decimals` places (0-6) and thousands separators. */
void fc_report_amount(char *buf, size_t size, double v, int decimals);
/* "12,345.68 USD" */
void fc_report_money(char *buf, size_t size, double v, const char *currency);
/* "Nov 20" of a unix day. */
void fc_report_day_label(char *buf, size_t size, int64_t day);

/* Appends s with & < > " ' escaped for XML text and attributes. */
int fc_report_xml_escape(fc_buf *b, const char *s);
/* Appends s for a markdown table cell: | escaped, newlines as spaces, and
 * & < > as entities so names cannot inject HTML. */
int fc_report_md_escape(fc_buf *b, const char *s);

/* One series: y[i] at day offset x[i] (x NULL = i). */
typedef struct {
    const char *name;
    const double *x;
    const double *y;
    size_t n;
    int dashed;
    const char *color;   /* NULL = palette by position */
} fc_chart_series;

/* A horizontal reference line (budget, threshold). */
typedef struct {
    const char *label;
    double y;
    int dashed;
    const char *color;
} fc_chart_hline;

/* A point to mark (anomaly day), with a tooltip. */
typedef struct {
    double x;
    double y;
    const char *tip;
} fc_chart_marker;

typedef struct {
    const char *title;
    const char *unit;        /* y axis unit, e.g. "USD" or "USD / day" */
    int64_t day0;            /* x = 0 is 00:00 UTC of this day */
    double xmax;             /* x axis spans [0, xmax] days */
    int stacked;             /* series are stacked areas on x = 0..n-1 */
    const fc_chart_series *series;
    size_t nseries;
    const fc_chart_hline *hlines;
    size_t nhlines;
    const fc_chart_marker *markers;
    size_t nmarkers;
    const char *marker_label; /* legend text of the markers */
} fc_chart_time;

/* Plot coordinates of a data point (for the chart and the tests). */
double fc_chart_x(const fc_chart_time *c, double x);
double fc_chart_y(double top, double y);
/* The y axis top the chart uses (max of series, stacks, lines, markers). */
double fc_chart_time_top(const fc_chart_time *c);

int fc_chart_time_svg(fc_buf *out, const fc_chart_time *c);

typedef struct {
    const char *label;
    double value;            /* >= 0 */
    const char *tip;         /* tooltip; NULL = label and value */
} fc_chart_bar;

/* Height of a bar chart of n bars. */
int fc_chart_bars_height(size_t n);
int fc_chart_bars_svg(fc_buf *out, const char *title, const char *unit,
                      const fc_chart_bar *bars, size_t n);

#endif
