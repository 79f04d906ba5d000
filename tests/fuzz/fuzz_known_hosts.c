/*
 * fuzz_known_hosts.c - the OpenSSH known_hosts reader (controller/gitsync/
 * known_hosts.c) and the codecs it uses (codec.c: base64, key blob type,
 * fingerprint).  The reader only opens files, so the input is written to a
 * private temporary file once per run and looked up for two hosts.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/gitsync/auth_int.h"

#include <stdio.h>
#include <unistd.h>

/* An ssh-ed25519 public key blob (type string + 32 key bytes). */
static const unsigned char blob[] = {
    0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9',
    0, 0, 0, 32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static char path[64];

static void cleanup(void)
{
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f;
    char why[512], type[64], fp[FC_SSH_FP_LEN];
    unsigned char *dec = NULL;
    size_t declen = 0;

    if (!path[0]) {
        int fd;
        snprintf(path, sizeof(path), "/tmp/fc-fuzz-kh-XXXXXX");
        if ((fd = mkstemp(path)) < 0)
            abort();
        close(fd);
        atexit(cleanup);
    }
    if (!(f = fopen(path, "wb")))
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    fc_gitsync__known_hosts_check(path, "git.example.com", 22, blob,
                                  sizeof(blob), why, sizeof(why));
    fc_gitsync__known_hosts_check(path, "10.0.0.1", 2222, blob, sizeof(blob),
                                  why, sizeof(why));

    /* The same bytes as a base64 key field and as a raw key blob. */
    if (fc_gitsync__b64_decode((const char *)data, size, &dec, &declen) == 0) {
        fc_gitsync__ssh_blob_type(dec, declen, type, sizeof(type));
        fc_gitsync__ssh_fingerprint(dec, declen, fp);
        free(dec);
    }
    fc_gitsync__ssh_blob_type(data, size, type, sizeof(type));
    return 0;
}
