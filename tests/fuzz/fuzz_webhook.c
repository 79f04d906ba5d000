/*
 * fuzz_webhook.c - webhook signature checks (controller/http/hooks.c): the
 * first three lines are the GitHub X-Hub-Signature-256, Gitea
 * X-Gitea-Signature and GitLab X-Gitlab-Token headers ("-" = absent), the
 * rest the body.  Also the body signed correctly must verify, and a wrong
 * secret must not: a fuzzer-found break of either aborts.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/gitsync/auth_int.h"
#include "controller/http/fc_http.h"

#include <stdio.h>

static const char *hdr(const char *s)
{
    return s && strcmp(s, "-") != 0 ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char secret[] = "fuzz-secret";
    char *s = fuzz_strndup(data, size), *f[4];
    const char *body;
    size_t blen;
    unsigned char mac[32];
    char good[7 + 65];

    fuzz_fields(s, f, 4);
    body = f[3] ? f[3] : "";
    /* The body may hold NUL bytes: take its length from the input. */
    blen = f[3] ? size - (size_t)(f[3] - s) : 0;
    fc_http_hook_verify(secret, body, blen, hdr(f[0]), hdr(f[1]), hdr(f[2]));

    fc_gitsync__hmac_sha256(secret, strlen(secret), body, blen, mac);
    memcpy(good, "sha256=", 7);
    for (int i = 0; i < 32; i++)
        snprintf(good + 7 + 2 * i, 3, "%02x", mac[i]);
    if (fc_http_hook_verify(secret, body, blen, good, NULL, NULL) != 1)
        abort();
    if (fc_http_hook_verify("other", body, blen, good, NULL, NULL) != 0)
        abort();
    free(s);
    return 0;
}
