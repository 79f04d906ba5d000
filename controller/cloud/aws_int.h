/*
 * aws_int.h - private pieces of the aws provider (controller/cloud/aws*.c).
 *
 * Four layers, one file each:
 *   aws_http.c   transport: curl multi, SigV4 through CURLOPT_AWS_SIGV4,
 *                retries with exponential backoff + full jitter, a per-pass
 *                retry budget, AWS error bodies -> fc codes
 *   aws_creds.c  the standard credential chain and STS AssumeRole
 *   aws_parse.c  pure parsers: XML (libxml2) and JSON (json-c) response
 *                bodies -> fc_resource pages, metrics, costs
 *   aws.c        the provider: discovery fan-out, describe, apply
 *
 * Nothing here logs a secret: credentials live only in aws_creds and are
 * handed to curl, never formatted into messages.
 */
#ifndef FC_AWS_INT_H
#define FC_AWS_INT_H

#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_util.h"

#include <stddef.h>
#include <stdint.h>

/* ---- randomness and backoff (deterministic for a seed) ----------------- */

typedef struct {
    uint64_t s;
} aws_rng;

void aws_rng_seed(aws_rng *r, uint64_t seed);
uint64_t aws_rng_next(aws_rng *r);
/* Full jitter: uniform in [0, min(cap, base * 2^attempt)] ms; attempt >= 0. */
long aws_backoff_ms(aws_rng *r, int attempt, long base_ms, long cap_ms);

/* ---- errors --------------------------------------------------------------- */

/* 1 when the AWS error code or HTTP status means "slow down". */
int aws_is_throttle(const char *code, long http_status);
/* 1 when a retry can help (throttling, 5xx, request timeouts). */
int aws_is_retryable(const char *code, long http_status);
/* The fc code of a failed AWS call (after retries). */
int aws_error_map(const char *code, long http_status);
/* Code and message of an error body, XML (EC2, query, S3) or JSON
 * (__type/code, message/Message); errtype is x-amzn-ErrorType or NULL.
 * Both outputs are always NUL-terminated, "" when absent. */
void aws_parse_error(const char *body, size_t len, const char *errtype,
                     char *code, size_t code_size, char *msg, size_t msg_size);

/* ---- credentials ------------------------------------------------------------ */

typedef struct {
    char *access_key;
    char *secret_key;
    char *token;        /* session token, or NULL */
    int64_t expiration; /* unix time, 0 = does not expire */
    const char *source; /* "env", "shared-credentials", "config", ... (static) */
} aws_creds;

void aws_creds_dispose(aws_creds *c);
int aws_creds_copy(aws_creds *dst, const aws_creds *src);
/* 1 when c is missing or expires within 5 minutes of now. */
int aws_creds_need_refresh(const aws_creds *c, int64_t now);

/* Static sources of the chain; FC_ENOTFOUND when the source has nothing. */
int aws_creds_from_env(aws_creds *out);
int aws_creds_from_files(aws_creds *out);
/* One INI section's key from a file ("profile x" and "x" both match
 * profile x when config is set); value malloc'd into *out. */
int aws_ini_get(const char *path, const char *profile, int config,
                const char *key, char **out);

/* ---- transport ------------------------------------------------------------------ */

typedef struct aws_transport aws_transport;
typedef struct aws_req aws_req;
typedef void (*aws_done_fn)(aws_req *r, void *payload);

typedef struct {
    unsigned max_connections; /* total and per host */
    unsigned max_attempts;    /* per request, first try included */
    unsigned retry_budget;    /* retries per transport lifetime (a pass) */
    long timeout_ms;          /* whole request */
    long connect_timeout_ms;
    long base_delay_ms;
    long max_delay_ms;
    uint64_t seed;
} aws_transport_opts;

struct aws_req {
    /* Inputs: set with aws_req_new(); owned by the request. */
    char *method;             /* GET, POST, PUT */
    char *url;
    char *body;               /* may be NULL */
    size_t body_len;
    struct curl_slist *headers;
    char *sigv4;              /* "aws:amz:<region>:<service>" or NULL */
    char *userpwd;            /* "key:secret" for SigV4 (never logged) */
    unsigned max_attempts;    /* 0 = the transport's */
    long timeout_ms;          /* 0 = the transport's */
    char *what;               /* "ec2:DescribeInstances 5182.../eu-west-1" */
    aws_done_fn done;
    void *payload;
    /* Outputs, valid in done(). */
    int rc;                   /* FC_OK when 2xx */
    long status;
    fc_buf resp;
    char err_code[96];
    char err_msg[320];
    char errtype[96];         /* x-amzn-ErrorType header */
    unsigned attempts;
    /* Transport internals. */
    void *easy;
    int64_t due_ms;
    aws_req *next;
};

int aws_transport_new(aws_transport **out, const aws_transport_opts *o);
void aws_transport_free(aws_transport *t);
/* Refills the retry budget (0 = the default, 500): once per pass. */
void aws_transport_set_budget(aws_transport *t, unsigned budget);
/* Retries this transport may still spend. */
unsigned aws_transport_budget(const aws_transport *t);
/* Request counters: attempts sent, retries spent. */
void aws_transport_stats(const aws_transport *t, unsigned long *sent,
                         unsigned long *retries);

/* A request; creds NULL = unsigned (IMDS, web identity).  FC_ENOMEM. */
int aws_req_new(aws_req **out, const char *method, const char *url,
                const char *body, const char *region, const char *service,
                const aws_creds *creds);
int aws_req_header(aws_req *r, const char *header);
void aws_req_free(aws_req *r);
/* Queues r (the transport takes it, even on failure); done() runs from
 * aws_transport_run() and may submit more requests.  r is freed after
 * done() returns. */
int aws_submit(aws_transport *t, aws_req *r, aws_done_fn done, void *payload);
/* Runs until nothing is queued or in flight. */
int aws_transport_run(aws_transport *t);
/* Submits one request and waits for it: the result is moved into *out
 * (code, message, body).  Returns the request's rc. */
typedef struct {
    long status;
    fc_buf body;
    char err_code[96];
    char err_msg[320];
} aws_result;
void aws_result_dispose(aws_result *r);
int aws_call(aws_transport *t, aws_req *r, aws_result *out);

/* ---- endpoints ---------------------------------------------------------------- */

typedef struct {
    const char *endpoint_url;             /* every service; NULL = AWS */
    const char *const *service_endpoints; /* "ec2=http://..." */
    size_t nservice_endpoints;
} aws_endpoints;

/* Base URL (no trailing '/') of service in region; malloc'd. */
char *aws_endpoint(const aws_endpoints *e, const char *service,
                   const char *region);
/* RFC 3986 encoding (unreserved kept) appended to b. */
int aws_urlencode(fc_buf *b, const char *s);

/* ---- STS and the credential chain (need the transport) --------------------- */

/* Parses <Credentials> of AssumeRole / AssumeRoleWithWebIdentity. */
int aws_parse_sts_creds(const char *body, size_t len, aws_creds *out);
/* IMDS JSON {AccessKeyId, SecretAccessKey, Token, Expiration}. */
int aws_parse_imds_creds(const char *body, size_t len, aws_creds *out);
int aws_parse_caller_account(const char *body, size_t len, char *account,
                             size_t size);

/* env -> shared files (AWS_PROFILE) -> web identity -> IMDSv2. */
int aws_creds_resolve(aws_transport *t, const aws_endpoints *e,
                      aws_creds *out);
int aws_assume_role(aws_transport *t, const aws_endpoints *e,
                    const aws_creds *base, const char *role_arn,
                    const char *session_name, aws_creds *out);

/* ---- pages of resources ------------------------------------------------------ */

typedef struct {
    fc_resource *items;
    char **arns;       /* parallel to items: ARN or CloudWatch dimension */
    size_t n, cap;
    char *next;        /* pagination token, NULL on the last page */
} aws_page;

void aws_page_init(aws_page *p);
void aws_page_dispose(aws_page *p);

/* Each parser appends what one response page holds to p and sets p->next.
 * account/region fill the resources' fields.  FC_EPARSE on a malformed body. */
int aws_parse_ec2_instances(aws_page *p, const char *body, size_t len,
                            const char *account, const char *region);
int aws_parse_ec2_volumes(aws_page *p, const char *body, size_t len,
                          const char *account, const char *region);
int aws_parse_ec2_snapshots(aws_page *p, const char *body, size_t len,
                            const char *account, const char *region);
int aws_parse_ec2_addresses(aws_page *p, const char *body, size_t len,
                            const char *account, const char *region);
int aws_parse_elb_load_balancers(aws_page *p, const char *body, size_t len,
                                 const char *account, const char *region);
int aws_parse_rds_instances(aws_page *p, const char *body, size_t len,
                            const char *account, const char *region);
int aws_parse_lambda_functions(aws_page *p, const char *body, size_t len,
                               const char *account, const char *region);
/* ListBuckets: items with id/name/created; region left NULL. */
int aws_parse_s3_buckets(aws_page *p, const char *body, size_t len,
                         const char *account);
/* GetBucketLocation -> region ("" and null = us-east-1, "EU" = eu-west-1). */
int aws_parse_s3_location(const char *body, size_t len, char *region,
                          size_t size);

/* Tag lists: ELBv2 DescribeTags (per ARN), S3 GetBucketTagging, Lambda
 * ListTags.  Target-group/health: healthy target ids per load balancer ARN. */
typedef struct {
    char *arn;
    fc_tag *tags;
    size_t ntags;
} aws_tagset;
typedef struct {
    aws_tagset *sets;
    size_t n;
} aws_tagsets;
void aws_tagsets_dispose(aws_tagsets *t);
int aws_parse_elb_tags(aws_tagsets *out, const char *body, size_t len);
int aws_parse_xml_tagset(aws_tagsets *out, const char *body, size_t len);
int aws_parse_json_tags(aws_tagsets *out, const char *body, size_t len);

/* DescribeTargetGroups: (target group ARN, load balancer ARN) pairs. */
int aws_parse_elb_target_groups(aws_tagsets *out, char **next, const char *body,
                                size_t len);
/* DescribeTargetHealth: ids of healthy targets, as tag keys. */
int aws_parse_elb_target_health(aws_tagsets *out, const char *body, size_t len);

/* GetMetricData: points per query id, appended across pages. */
typedef struct {
    char *id;
    int64_t *t;
    double *v;
    size_t n, cap;
} aws_points;
typedef struct {
    aws_points *q;
    size_t n;
    char *next;
} aws_metric_page;
void aws_metric_page_dispose(aws_metric_page *m);
int aws_parse_metric_data(aws_metric_page *m, const char *body, size_t len);
/* Hourly series on [start, end) from points; missing hours are 0.  The series
 * starts at the first point's hour; *values NULL / n 0 when no points. */
int aws_points_series(const aws_points *p, int64_t end, int32_t step,
                      int64_t *start, double **values, size_t *n);

/* GetCostAndUsage DAILY by SERVICE -> inventory cost rows. */
int aws_parse_costs(fc_inventory *inv, char **next, const char *account,
                    const char *body, size_t len);

/* EC2 action responses: new id (snapshot, volume) and state. */
int aws_parse_action(const char *kind, const char *body, size_t len,
                     fc_action_result *out);

/* ISO 8601 ("2025-02-11T00:00:00.000Z", "+0000" offsets) -> unix time. */
int aws_parse_time(const char *s, int64_t *out);

#endif
