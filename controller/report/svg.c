/*
 * svg.c - the report's charts, written by hand as SVG text: a time-series
 * chart (lines, or stacked areas, plus reference lines and point markers)
 * and a horizontal bar chart, with 1-2-5 axis ticks, a legend, a title and
 * <title> tooltips a browser or forge shows on hover.
 *
 * Inputs: chart descriptions whose arrays stay the caller's.  Output: SVG
 * appended to an fc_buf.  Pure: no I/O, no clock; every number is printed
 * with fixed decimals and every name XML-escaped, so the bytes depend only
 * on the inputs.
 */
#include "controller/report/report_int.h"
#include "controller/core/fc_error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1",
                                      "#76b7b2", "#edc948", "#9c755f", "#ff9da7",
                                      "#bab0ac", "#e15759"};
#define MARKER_COLOR "#d62728"
#define LEGEND_X 576.0
#define LEGEND_CHARS 40

/* ---- numbers ------------------------------------------------------------ */

double fc_report_nice_step(double span, int target)
{
    double raw, mag, norm;
    if (!(span > 0) || target < 1)
        return 1;
    raw = span / target;
    mag = pow(10, floor(log10(raw)));
    norm = raw / mag;
    /* A hair of slack so that 2.0000000001 is still 2. */
    if (norm <= 1.000001)
        return mag;
    if (norm <= 2.000001)
        return 2 * mag;
    if (norm <= 5.000001)
        return 5 * mag;
    return 10 * mag;
}

int fc_report_axis(double max, int target, double *step, double *top)
{
    double s, t;
    if (!(max > 0))
        max = 1;
    s = fc_report_nice_step(max, target);
    t = ceil(max / s - 1e-9) * s;
    if (t < max)
        t += s;
    *step = s;
    *top = t;
    return (int)llround(t / s) + 1;
}

void fc_report_amount(char *buf, size_t size, double v, int decimals)
{
    char raw[64], *dot;
    size_t intlen, i, o = 0;
    int neg;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 6)
        decimals = 6;
    if (!isfinite(v))
        v = 0;
    snprintf(raw, sizeof(raw), "%.*f", decimals, fabs(v));
    /* -0.00 after rounding is 0.00 */
    neg = v < 0 && strspn(raw, "0.") != strlen(raw);
    dot = strchr(raw, '.');
    intlen = dot ? (size_t)(dot - raw) : strlen(raw);
    if (size == 0)
        return;
    if (neg && o + 1 < size)
        buf[o++] = '-';
    for (i = 0; raw[i] && o + 1 < size; i++) {
        if (i < intlen && i > 0 && (intlen - i) % 3 == 0) {
            buf[o++] = ',';
            if (o + 1 >= size)
                break;
        }
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
}

void fc_report_money(char *buf, size_t size, double v, const char *currency)
{
    char a[64];
    fc_report_amount(a, sizeof(a), v, 2);
    snprintf(buf, size, "%s %s", a, currency && *currency ? currency : "USD");
}

void fc_report_day_label(char *buf, size_t size, int64_t day)
{
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char d[16];
    int m = 0, dd = 0;
    fc_date_format(d, sizeof(d), day);
    if (sscanf(d, "%*d-%d-%d", &m, &dd) != 2 || m < 1 || m > 12) {
        snprintf(buf, size, "%s", d);
        return;
    }
    snprintf(buf, size, "%s %d", months[m - 1], dd);
}

/* ---- escaping ----------------------------------------------------------- */

int fc_report_xml_escape(fc_buf *b, const char *s)
{
    int rc = FC_OK;
    for (; s && *s && rc == FC_OK; s++) {
        switch (*s) {
        case '&': rc = fc_buf_puts(b, "&amp;"); break;
        case '<': rc = fc_buf_puts(b, "&lt;"); break;
        case '>': rc = fc_buf_puts(b, "&gt;"); break;
        case '"': rc = fc_buf_puts(b, "&quot;"); break;
        case '\'': rc = fc_buf_puts(b, "&apos;"); break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            rc = fc_buf_append(b, (unsigned char)*s < 0x20 ? " " : s, 1);
        }
    }
    return rc;
}

int fc_report_md_escape(fc_buf *b, const char *s)
{
    int rc = FC_OK;
    for (; s && *s && rc == FC_OK; s++) {
        switch (*s) {
        case '|': rc = fc_buf_puts(b, "\\|"); break;
        case '&': rc = fc_buf_puts(b, "&amp;"); break;
        case '<': rc = fc_buf_puts(b, "&lt;"); break;
        case '>': rc = fc_buf_puts(b, "&gt;"); break;
        case '\n': case '\r': case '\t': rc = fc_buf_puts(b, " "); break;
        default: rc = fc_buf_append(b, s, 1);
        }
    }
    return rc;
}

/* The first max characters of UTF-8 s, then "…" when cut. */
static void shorten(char *buf, size_t size, const char *s, size_t max)
{
    size_t i = 0, chars = 0;
    s = s ? s : "";
    while (s[i] && chars < max) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    if (!s[i] || i + 4 > size) {
        snprintf(buf, size, "%.*s", (int)(i < size ? i : size - 1), s);
        return;
    }
    snprintf(buf, size, "%.*s\xE2\x80\xA6", (int)i, s);
}

/* ---- shared pieces -------------------------------------------------------- */

/* Sticky-error writer: the first failure is kept, later writes are no-ops. */
typedef struct {
    fc_buf *b;
    int rc;
} sw;

static void put(sw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(sw *w, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;
    if (w->rc != FC_OK)
        return;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        w->rc = fc_error_set(FC_EINVALID, "svg: element too long");
        return;
    }
    w->rc = fc_buf_append(w->b, tmp, (size_t)n);
    if (w->rc != FC_OK)
        fc_error_set(w->rc, "out of memory");
}

static void esc(sw *w, const char *s)
{
    if (w->rc == FC_OK && (w->rc = fc_report_xml_escape(w->b, s)) != FC_OK)
        fc_error_set(w->rc, "out of memory");
}

static void header(sw *w, int width, int height, const char *title)
{
    put(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
           "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Verdana, sans-serif\" "
           "font-size=\"12\" role=\"img\">\n<title>",
        width, height, width, height);
    esc(w, title);
    put(w, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
        width, height);
}

static const char *color_of(const char *c, size_t i)
{
    return c ? c : palette[i % FC_ARRAY_LEN(palette)];
}

/* ---- time series ------------------------------------------------------------ */

double fc_chart_x(const fc_chart_time *c, double x)
{
    double span = c->xmax > 0 ? c->xmax : 1;
    return FC_PLOT_L + (FC_PLOT_R - FC_PLOT_L) * x / span;
}

double fc_chart_y(double top, double y)
{
    return FC_PLOT_B - (FC_PLOT_B - FC_PLOT_T) * y / (top > 0 ? top : 1);
}

static double xval(const fc_chart_series *s, size_t i)
{
    return s->x ? s->x[i] : (double)i;
}

double fc_chart_time_top(const fc_chart_time *c)
{
    double max = 0, step, top;
    size_t i, k;
    if (c->stacked) {
        size_t n = c->nseries ? c->series[0].n : 0;
        for (i = 0; i < n; i++) {
            double sum = 0;
            for (k = 0; k < c->nseries; k++)
                sum += i < c->series[k].n && c->series[k].y[i] > 0 ? c->series[k].y[i] : 0;
            if (sum > max)
                max = sum;
        }
    } else {
        for (k = 0; k < c->nseries; k++)
            for (i = 0; i < c->series[k].n; i++)
                if (c->series[k].y[i] > max)
                    max = c->series[k].y[i];
    }
    for (k = 0; k < c->nhlines; k++)
        if (c->hlines[k].y > max)
            max = c->hlines[k].y;
    for (k = 0; k < c->nmarkers; k++)
        if (c->markers[k].y > max)
            max = c->markers[k].y;
    fc_report_axis(max, 6, &step, &top);
    return top;
}

static void y_axis(sw *w, double top)
{
    double step, t, v;
    int n, k;
    char label[64];
    n = fc_report_axis(top, 6, &step, &t);
    for (k = 0; k < n; k++) {
        double y;
        v = step * k;
        y = fc_chart_y(top, v);
        fc_report_amount(label, sizeof(label), v, step >= 1 ? 0 : (int)ceil(-log10(step)));
        put(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n",
            FC_PLOT_L, y, FC_PLOT_R, y);
        put(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444444\">%s</text>\n",
            FC_PLOT_L - 6, y + 4, label);
    }
}

/* Day ticks: the smallest of 1, 2, 7, 14, 28, 56, 91 days giving <= 8. */
static void x_axis(sw *w, const fc_chart_time *c)
{
    static const int steps[] = {1, 2, 7, 14, 28, 56, 91};
    size_t i;
    int s = 91, k;
    char label[32];
    for (i = 0; i < FC_ARRAY_LEN(steps); i++)
        if (c->xmax / steps[i] <= 8) {
            s = steps[i];
            break;
        }
    for (k = 0; k * s <= c->xmax + 1e-9; k++) {
        double x = fc_chart_x(c, k * s);
        fc_report_day_label(label, sizeof(label), c->day0 + (int64_t)k * s * FC_DAY);
        put(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444444\"/>\n",
            x, FC_PLOT_B, x, FC_PLOT_B + 5);
        put(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\">%s</text>\n",
            x, FC_PLOT_B + 19, label);
    }
    put(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444444\"/>\n",
        FC_PLOT_L, FC_PLOT_B, FC_PLOT_R, FC_PLOT_B);
    put(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444444\"/>\n",
        FC_PLOT_L, FC_PLOT_T, FC_PLOT_L, FC_PLOT_B);
}

/* One legend row; kind 0 line, 1 dashed line, 2 filled box, 3 marker. */
static int legend(sw *w, int row, int kind, const char *color, const char *text)
{
    double y = FC_PLOT_T + 8 + row * 20.0;
    char shortname[4 * LEGEND_CHARS + 8];
    if (y > FC_CHART_H - 16)
        return 0; /* no room: the tooltip of the element still names it */
    if (kind == 2)
        put(w, "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"10\" fill=\"%s\"/>\n",
            LEGEND_X, y - 5, color);
    else if (kind == 3)
        put(w, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"#ffffff\"/>\n",
            LEGEND_X + 8, y, color);
    else
        put(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
               "stroke-width=\"2\"%s/>\n",
            LEGEND_X, y, LEGEND_X + 16, y, color, kind == 1 ? " stroke-dasharray=\"5 3\"" : "");
    shorten(shortname, sizeof(shortname), text, LEGEND_CHARS);
    put(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\"><title>", LEGEND_X + 22, y + 4);
    esc(w, text);
    put(w, "</title>");
    esc(w, shortname);
    put(w, "</text>\n");
    return 1;
}

static void title_block(sw *w, double x, const char *title, const char *unit)
{
    put(w, "<text x=\"%.1f\" y=\"24\" font-size=\"15\" font-weight=\"bold\">", x);
    esc(w, title);
    put(w, "</text>\n");
    if (unit && *unit) {
        put(w, "<text x=\"%.1f\" y=\"42\" font-size=\"11\" fill=\"#555555\">", x);
        esc(w, unit);
        put(w, "</text>\n");
    }
}

int fc_chart_time_svg(fc_buf *out, const fc_chart_time *c)
{
    sw w = {out, FC_OK};
    double top = fc_chart_time_top(c);
    double *base = NULL;
    size_t i, k, n = c->stacked && c->nseries ? c->series[0].n : 0;
    int row = 0;

    if (c->stacked) {
        for (k = 0; k < c->nseries; k++)
            if (c->series[k].n != n)
                return fc_error_set(FC_EINVALID, "stacked series must have equal length");
        if (n && !(base = calloc(n, sizeof(*base))))
            return fc_error_set(FC_ENOMEM, "out of memory");
    }
    header(&w, FC_CHART_W, FC_CHART_H, c->title);
    title_block(&w, FC_PLOT_L, c->title, c->unit);
    y_axis(&w, top);
    for (k = 0; k < c->nseries; k++) {
        const fc_chart_series *s = &c->series[k];
        const char *color = color_of(s->color, k);
        if (!s->n)
            continue;
        if (c->stacked) {
            /* Upper edge left to right, then the lower edge back. */
            put(&w, "<path d=\"");
            for (i = 0; i < n; i++) {
                double v = s->y[i] > 0 ? s->y[i] : 0;
                put(&w, "%s%.1f %.1f ", i ? "L" : "M", fc_chart_x(c, (double)i),
                    fc_chart_y(top, base[i] + v));
            }
            for (i = n; i-- > 0;)
                put(&w, "L%.1f %.1f ", fc_chart_x(c, (double)i), fc_chart_y(top, base[i]));
            put(&w, "Z\" fill=\"%s\" fill-opacity=\"0.85\" stroke=\"#ffffff\" "
                    "stroke-width=\"0.5\"><title>", color);
            for (i = 0; i < n; i++)
                base[i] += s->y[i] > 0 ? s->y[i] : 0;
        } else {
            put(&w, "<path d=\"");
            for (i = 0; i < s->n; i++)
                put(&w, "%s%.1f %.1f ", i ? "L" : "M", fc_chart_x(c, xval(s, i)),
                    fc_chart_y(top, s->y[i]));
            put(&w, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"%s><title>", color,
                s->dashed ? " stroke-dasharray=\"7 4\"" : "");
        }
        esc(&w, s->name);
        put(&w, "</title></path>\n");
    }
    for (k = 0; k < c->nhlines; k++) {
        const fc_chart_hline *h = &c->hlines[k];
        double y = fc_chart_y(top, h->y);
        put(&w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"1.5\"%s><title>",
            FC_PLOT_L, y, FC_PLOT_R, y, color_of(h->color, k + 5),
            h->dashed ? " stroke-dasharray=\"3 3\"" : "");
        esc(&w, h->label);
        put(&w, "</title></line>\n");
    }
    for (k = 0; k < c->nmarkers; k++) {
        const fc_chart_marker *m = &c->markers[k];
        put(&w, "<circle class=\"marker\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" "
                "stroke=\"#ffffff\" stroke-width=\"1.5\"><title>",
            fc_chart_x(c, m->x), fc_chart_y(top, m->y), MARKER_COLOR);
        esc(&w, m->tip);
        put(&w, "</title></circle>\n");
    }
    x_axis(&w, c);
    /* Legend, in drawing order; stacked areas top of the stack first. */
    if (c->stacked)
        for (k = c->nseries; k-- > 0;)
            row += legend(&w, row, 2, color_of(c->series[k].color, k), c->series[k].name);
    else
        for (k = 0; k < c->nseries; k++)
            row += legend(&w, row, c->series[k].dashed, color_of(c->series[k].color, k),
                          c->series[k].name);
    for (k = 0; k < c->nhlines; k++)
        row += legend(&w, row, c->hlines[k].dashed, color_of(c->hlines[k].color, k + 5),
                      c->hlines[k].label);
    if (c->nmarkers && c->marker_label)
        row += legend(&w, row, 3, MARKER_COLOR, c->marker_label);
    put(&w, "</svg>\n");
    free(base);
    return w.rc;
}

/* ---- bars ----------------------------------------------------------------------- */

int fc_chart_bars_height(size_t n)
{
    return (int)(FC_BAR_TOP + (double)n * FC_BAR_ROW + 40);
}

int fc_chart_bars_svg(fc_buf *out, const char *title, const char *unit,
                      const fc_chart_bar *bars, size_t n)
{
    sw w = {out, FC_OK};
    int height = fc_chart_bars_height(n);
    double max = 0, step, top, bottom = FC_BAR_TOP + (double)n * FC_BAR_ROW;
    char label[4 * 40 + 8], value[64], tip[256];
    size_t i;
    int k, nt;

    for (i = 0; i < n; i++)
        if (bars[i].value > max)
            max = bars[i].value;
    nt = fc_report_axis(max, 5, &step, &top);
    header(&w, FC_CHART_W, height, title);
    title_block(&w, 16, title, unit);
    for (k = 0; k < nt; k++) {
        double x = FC_BAR_X0 + (FC_BAR_X1 - FC_BAR_X0) * (step * k) / top;
        fc_report_amount(value, sizeof(value), step * k,
                         step >= 1 ? 0 : (int)ceil(-log10(step)));
        put(&w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n",
            x, FC_BAR_TOP - 4, x, bottom);
        put(&w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\">%s</text>\n",
            x, bottom + 18, value);
    }
    for (i = 0; i < n; i++) {
        const fc_chart_bar *b = &bars[i];
        double v = b->value > 0 ? b->value : 0;
        double y = FC_BAR_TOP + (double)i * FC_BAR_ROW + 4, h = FC_BAR_ROW - 8;
        double width = (FC_BAR_X1 - FC_BAR_X0) * v / top;
        fc_report_amount(value, sizeof(value), v, 2);
        put(&w, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                "fill=\"%s\"><title>",
            FC_BAR_X0, y, width, h, palette[0]);
        if (b->tip) {
            esc(&w, b->tip);
        } else {
            snprintf(tip, sizeof(tip), "%s: %s", b->label ? b->label : "", value);
            esc(&w, tip);
        }
        put(&w, "</title></rect>\n");
        shorten(label, sizeof(label), b->label, 40);
        put(&w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", FC_BAR_X0 - 8, y + h / 2 + 4);
        esc(&w, label);
        put(&w, "</text>\n<text x=\"%.1f\" y=\"%.1f\" fill=\"#333333\">%s</text>\n",
            FC_BAR_X0 + width + 6, y + h / 2 + 4, value);
    }
    put(&w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444444\"/>\n",
        FC_BAR_X0, FC_BAR_TOP - 4, FC_BAR_X0, bottom);
    put(&w, "</svg>\n");
    return w.rc;
}
