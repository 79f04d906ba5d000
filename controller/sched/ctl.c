/*
 * ctl.c - `finops-controller ctl`: drives a running controller through its
 * HTTP API (libcurl + json-c), the console of the scheduler.
 *
 *   ctl [--server URL] [--token-file FILE] status | tasks | run TASK |
 *       enable TASK | disable TASK
 *
 * Inputs: the server URL (FINOPS_SERVER, default http://127.0.0.1:8080) and,
 * for writes, the API token file (FINOPS_API_TOKEN_FILE).  Output: a table
 * or one line on stdout; exit 0 ok, 1 the server refused or is unreachable,
 * 2 usage.  The token is sent only in the Authorization header, never
 * printed.
 */
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/http/fc_http.h"
#include "controller/sched/fc_loop.h"

#include <curl/curl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t collect(char *data, size_t size, size_t n, void *payload)
{
    fc_buf *b = payload;
    return fc_buf_append(b, data, size * n) == FC_OK ? size * n : 0;
}

/* One request; *status = HTTP code (0 = no answer), body into out. */
static int request(const char *server, const char *method, const char *path,
                   const char *token, long *status, fc_buf *out)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    char *url = fc_asprintf("%s%s", server, path), *auth = NULL;
    CURLcode cc;
    int rc = FC_OK;

    *status = 0;
    if (!h || !url) {
        rc = fc_error_set(FC_ENOMEM, "ctl");
        goto done;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (token) {
        if (!(auth = fc_asprintf("Authorization: Bearer %s", token))) {
            rc = fc_error_set(FC_ENOMEM, "ctl");
            goto done;
        }
        hdr = curl_slist_append(hdr, auth);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    }
    if ((cc = curl_easy_perform(h)) != CURLE_OK) {
        rc = fc_error_set(FC_EIO, "%s: %s", server, curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
done:
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    free(url);
    return rc;
}

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "-";
    return json_object_get_string(v);
}

static int print_tasks(const fc_buf *body)
{
    struct json_object *root = json_tokener_parse(body->data ? body->data : ""), *items;
    size_t i, n;
    if (!root || !json_object_object_get_ex(root, "items", &items) ||
        !json_object_is_type(items, json_type_array)) {
        fprintf(stderr, "finops-controller ctl: unexpected answer from the server\n");
        json_object_put(root);
        return 1;
    }
    n = json_object_array_length(items);
    printf("%-20s %-13s %-8s %-21s %-21s %-10s %s\n", "NAME", "TASK", "ENABLED", "NEXT RUN",
           "LAST RUN", "RESULT", "SCHEDULE");
    for (i = 0; i < n; i++) {
        struct json_object *t = json_object_array_get_idx(items, i), *en;
        int enabled = json_object_object_get_ex(t, "enabled", &en) && json_object_get_boolean(en);
        printf("%-20s %-13s %-8s %-21s %-21s %-10s %s\n", str_of(t, "name"), str_of(t, "task"),
               enabled ? "yes" : "no", str_of(t, "nextRun"), str_of(t, "lastRun"),
               str_of(t, "lastResult"), str_of(t, "schedule"));
    }
    json_object_put(root);
    return 0;
}

static void print_error(long status, const fc_buf *body)
{
    struct json_object *root = json_tokener_parse(body->data ? body->data : "");
    fprintf(stderr, "finops-controller ctl: HTTP %ld: %s\n", status,
            root ? str_of(root, "error") : (body->data ? body->data : ""));
    json_object_put(root);
}

static void ctl_usage(FILE *f)
{
    fprintf(f, "Usage: finops-controller ctl [--server URL] [--token-file FILE] COMMAND\n\n"
               "Drives a running `finops-controller run` through its HTTP API.\n\n"
               "Commands:\n"
               "  status           liveness, readiness and the task table\n"
               "  tasks            the task table: schedule, next and last run, result\n"
               "  run TASK         run TASK now (coalesced with anything due)\n"
               "  enable TASK      let TASK run on its schedule again\n"
               "  disable TASK     stop TASK from running on its schedule\n\n"
               "Flags:\n"
               "  --server URL     the controller (FINOPS_SERVER, default\n"
               "                   http://127.0.0.1:8080)\n"
               "  --token-file FILE  API token for run/enable/disable\n"
               "                   (FINOPS_API_TOKEN_FILE)\n"
               "  -h, --help       this help\n\n"
               "Exit codes: 0 ok, 1 refused by the server or unreachable, 2 usage.\n");
}

int fc_ctl_command(int argc, char **argv)
{
    static const struct option longopts[] = {{"server", required_argument, 0, 's'},
                                             {"token-file", required_argument, 0, 't'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *server = getenv("FINOPS_SERVER"), *token_file = getenv("FINOPS_API_TOKEN_FILE");
    const char *cmd;
    char *token = NULL, *path = NULL;
    char server_buf[1024];
    fc_buf body;
    long status = 0;
    int c, ret = 1;

    if (!server || !*server)
        server = "http://127.0.0.1:8080";
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': server = optarg; break;
        case 't': token_file = optarg; break;
        case 'h': ctl_usage(stdout); return 0;
        default: ctl_usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        ctl_usage(stderr);
        return 2;
    }
    cmd = argv[optind];
    if (strcmp(cmd, "status") != 0 && strcmp(cmd, "tasks") != 0 && strcmp(cmd, "run") != 0 &&
        strcmp(cmd, "enable") != 0 && strcmp(cmd, "disable") != 0) {
        fprintf(stderr, "finops-controller ctl: unknown command '%s'\n\n", cmd);
        ctl_usage(stderr);
        return 2;
    }
    if ((strcmp(cmd, "status") == 0 || strcmp(cmd, "tasks") == 0) ? optind + 1 != argc
                                                                  : optind + 2 != argc) {
        fprintf(stderr, "finops-controller ctl: wrong number of arguments for '%s'\n", cmd);
        return 2;
    }
    snprintf(server_buf, sizeof(server_buf), "%s", server);
    while (server_buf[0] && server_buf[strlen(server_buf) - 1] == '/')
        server_buf[strlen(server_buf) - 1] = '\0';
    fc_buf_init(&body);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(cmd, "status") == 0) {
        if (request(server_buf, "GET", "/readyz", NULL, &status, &body) != FC_OK) {
            fprintf(stderr, "finops-controller ctl: %s\n", fc_error_last());
            goto done;
        }
        printf("server:  %s\nready:   %s (%.*s)\n", server_buf, status == 200 ? "yes" : "no",
               (int)strcspn(body.data ? body.data : "", "\n"), body.data ? body.data : "");
        fc_buf_dispose(&body);
        fc_buf_init(&body);
    }
    if (strcmp(cmd, "status") == 0 || strcmp(cmd, "tasks") == 0) {
        if (request(server_buf, "GET", "/api/v1/tasks", NULL, &status, &body) != FC_OK) {
            fprintf(stderr, "finops-controller ctl: %s\n", fc_error_last());
            goto done;
        }
        if (status != 200) {
            print_error(status, &body);
            goto done;
        }
        ret = print_tasks(&body);
        goto done;
    }
    if (!token_file) {
        fprintf(stderr, "finops-controller ctl: %s needs --token-file (or "
                        "FINOPS_API_TOKEN_FILE)\n", cmd);
        ret = 2;
        goto done;
    }
    if (fc_http_read_secret(token_file, &token) != FC_OK) {
        fprintf(stderr, "finops-controller ctl: --token-file: %s\n", fc_error_last());
        ret = 2;
        goto done;
    }
    if (!(path = fc_asprintf("/api/v1/tasks/%s/%s", argv[optind + 1], cmd)))
        goto done;
    if (request(server_buf, "POST", path, token, &status, &body) != FC_OK) {
        fprintf(stderr, "finops-controller ctl: %s\n", fc_error_last());
        goto done;
    }
    if (status != 200 && status != 202) {
        print_error(status, &body);
        goto done;
    }
    printf("%s %s: ok\n", cmd, argv[optind + 1]);
    ret = 0;
done:
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    free(path);
    fc_buf_dispose(&body);
    curl_global_cleanup();
    return ret;
}
