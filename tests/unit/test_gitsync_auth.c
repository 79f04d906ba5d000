/*
 * test_gitsync_auth.c - gitsync's transport security and signature checks:
 * the codecs against published vectors, ssh URL parsing, the known_hosts
 * matcher against files written by ssh-keygen, and fc_gitsync_verify_commit
 * on commits signed by git itself (gpg.format=ssh and OpenPGP).
 *
 * Keys and signatures are made with the real tools (ssh-keygen, git, gpg);
 * a test whose tool is missing is skipped, never faked.
 */
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/gitsync/auth_int.h"
#include "controller/gitsync/fc_gitsync.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char root[256];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Whole stdout of a command, one trailing newline stripped; caller frees. */
static char *out_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *out_of(const char *fmt, ...)
{
    char cmd[8192];
    char *buf = NULL;
    size_t len = 0, cap = 0;
    va_list ap;
    FILE *p;
    int c;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    p = popen(cmd, "r");
    assert_non_null(p);
    while ((c = fgetc(p)) != EOF) {
        if (len + 2 > cap) {
            cap = cap ? cap * 2 : 256;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        buf[len++] = (char)c;
    }
    pclose(p);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = '\0';
    if (len && buf[len - 1] == '\n')
        buf[len - 1] = '\0';
    return buf;
}

static int have(const char *tool)
{
    return sh("command -v %s >/dev/null 2>&1", tool) == 0;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
    size_t i;
    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* The raw blob of an OpenSSH .pub file ("type base64 comment"). */
static unsigned char *pub_blob(const char *pubfile, size_t *len)
{
    char *line = out_of("cut -d' ' -f2 '%s'", pubfile);
    unsigned char *blob = NULL;

    assert_int_equal(fc_gitsync__b64_decode(line, strlen(line), &blob, len), FC_OK);
    free(line);
    return blob;
}

/* ---- fixture ------------------------------------------------------------ */

static int group_setup(void **state)
{
    char home[PATH_MAX + 8];

    (void)state;
    snprintf(root, sizeof(root), "/tmp/fc-auth-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(home, sizeof(home), "%s/home", root);
    mkdir(home, 0700);
    setenv("HOME", home, 1);
    setenv("XDG_CONFIG_HOME", home, 1);
    setenv("GNUPGHOME", home, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "Alice", 1);
    setenv("GIT_AUTHOR_EMAIL", "alice@example.com", 1);
    setenv("GIT_COMMITTER_NAME", "Alice", 1);
    setenv("GIT_COMMITTER_EMAIL", "alice@example.com", 1);
    unsetenv("FINOPS_GIT_TOKEN");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sh("gpgconf --kill all >/dev/null 2>&1");
    return sh("rm -rf '%s'", root) == 0 ? 0 : -1;
}

/* ---- codecs ------------------------------------------------------------- */

static void test_gitsync_auth__sha_vectors(void **state)
{
    unsigned char d[32];
    char h[65];
    static const char two_blocks[] =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    (void)state;
    fc_gitsync__sha1("abc", 3, d);
    hex(d, 20, h);
    assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    fc_gitsync__sha256("abc", 3, d);
    hex(d, 32, h);
    assert_string_equal(
        h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    fc_gitsync__sha256(two_blocks, strlen(two_blocks), d);
    hex(d, 32, h);
    assert_string_equal(
        h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    fc_gitsync__sha1("", 0, d);
    hex(d, 20, h);
    assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void test_gitsync_auth__hmac_sha1_rfc2202(void **state)
{
    unsigned char key[80];
    unsigned char d[20];
    char h[41];

    (void)state;
    memset(key, 0x0b, 20);
    fc_gitsync__hmac_sha1(key, 20, "Hi There", 8, d);
    hex(d, 20, h);
    assert_string_equal(h, "b617318655057264e28bc0b6fb378c8ef146be00");
    /* a key longer than the block is hashed first */
    memset(key, 0xaa, 80);
    fc_gitsync__hmac_sha1(
        key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
    hex(d, 20, h);
    assert_string_equal(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

static void test_gitsync_auth__base64_round_trip(void **state)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char out[32];
    unsigned char *dec;
    size_t n, i;

    (void)state;
    for (i = 0; i < 7; i++) {
        fc_gitsync__b64_encode((const unsigned char *)plain[i], strlen(plain[i]), 1, out);
        assert_string_equal(out, enc[i]);
        assert_int_equal(fc_gitsync__b64_decode(enc[i], strlen(enc[i]), &dec, &n), FC_OK);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(dec, plain[i], n);
        free(dec);
    }
    fc_gitsync__b64_encode((const unsigned char *)"fo", 2, 0, out);
    assert_string_equal(out, "Zm8");
    assert_int_equal(fc_gitsync__b64_decode("Zm$v", 4, &dec, &n), FC_EPARSE);
    assert_null(dec);
}

/* ---- URLs --------------------------------------------------------------- */

static void test_gitsync_auth__ssh_urls(void **state)
{
    (void)state;
    assert_true(fc_gitsync__url_is_ssh("ssh://git@host/x.git"));
    assert_true(fc_gitsync__url_is_ssh("git+ssh://host/x.git"));
    assert_true(fc_gitsync__url_is_ssh("git@github.com:org/repo.git"));
    assert_false(fc_gitsync__url_is_ssh("https://host/x.git"));
    assert_false(fc_gitsync__url_is_ssh("/srv/git/x.git"));
    assert_false(fc_gitsync__url_is_ssh("./a:b"));
    assert_false(fc_gitsync__url_is_ssh("file:///srv/x.git"));
    assert_int_equal(fc_gitsync__url_ssh_port("ssh://git@127.0.0.1:2222/srv/x.git"),
                     2222);
    assert_int_equal(fc_gitsync__url_ssh_port("ssh://u:p@w@host:2200/x"), 2200);
    assert_int_equal(fc_gitsync__url_ssh_port("ssh://git@host/x.git"), 22);
    assert_int_equal(fc_gitsync__url_ssh_port("ssh://[::1]:2022/x"), 2022);
    assert_int_equal(fc_gitsync__url_ssh_port("ssh://[::1]/x"), 22);
    assert_int_equal(fc_gitsync__url_ssh_port("git@host:org/x.git"), 22);
    assert_int_equal(fc_gitsync__url_ssh_port("ssh://host:99999/x"), -1);
    assert_int_equal(fc_gitsync__url_ssh_port("ssh://host:2x/x"), -1);
}

/* ---- known_hosts -------------------------------------------------------- */

static void test_gitsync_auth__known_hosts_match_mismatch_unknown(void **state)
{
    char kh[PATH_MAX + 32], why[768];
    char *fp;
    unsigned char *key;
    size_t keylen;
    int r;

    (void)state;
    if (!have("ssh-keygen"))
        skip();
    assert_int_equal(sh("cd '%s' && rm -f hk hk.pub hk2 hk2.pub hr hr.pub && "
                        "ssh-keygen -q -t ed25519 -N '' -f hk && "
                        "ssh-keygen -q -t ed25519 -N '' -f hk2 && "
                        "ssh-keygen -q -t rsa -b 2048 -N '' -f hr",
                        root),
                     0);
    snprintf(kh, sizeof(kh), "%s/hk.pub", root);
    key = pub_blob(kh, &keylen);
    fp = out_of("ssh-keygen -lf '%s/hk.pub' | cut -d' ' -f2", root);
    snprintf(kh, sizeof(kh), "%s/known_hosts", root);

    /* plain name, port 22; comments, blank lines and junk are skipped */
    assert_int_equal(sh("cd '%s' && { echo '# comment'; echo; echo 'garbage'; "
                        "echo \"other.example $(cut -d' ' -f1,2 hk2.pub)\"; "
                        "echo \"git.example,10.0.0.1 $(cut -d' ' -f1,2 hk.pub) c\"; "
                        "} > known_hosts",
                        root),
                     0);
    assert_int_equal(fc_gitsync__known_hosts_check(kh, "git.example", 22, key, keylen,
                                                   why, sizeof(why)),
                     FC_HOSTKEY_MATCH);
    assert_int_equal(fc_gitsync__known_hosts_check(kh, "GIT.example", 22, key, keylen,
                                                   why, sizeof(why)),
                     FC_HOSTKEY_MATCH);
    assert_int_equal(
        fc_gitsync__known_hosts_check(kh, "10.0.0.1", 22, key, keylen, why, sizeof(why)),
        FC_HOSTKEY_MATCH);
    /* another port needs a [host]:port entry */
    r = fc_gitsync__known_hosts_check(kh, "git.example", 2222, key, keylen, why,
                                      sizeof(why));
    assert_int_equal(r, FC_HOSTKEY_UNKNOWN);
    print_message("  %s\n", why);
    assert_non_null(strstr(why, "unknown host key for [git.example]:2222"));
    assert_non_null(strstr(why, fp));
    /* same type, another key: a mismatch naming the line */
    r = fc_gitsync__known_hosts_check(kh, "other.example", 22, key, keylen, why,
                                      sizeof(why));
    assert_int_equal(r, FC_HOSTKEY_MISMATCH);
    print_message("  %s\n", why);
    assert_non_null(strstr(why, "host key mismatch for other.example"));
    assert_non_null(strstr(why, "known_hosts:4"));
    assert_non_null(strstr(why, fp));
    /* a missing file: unknown, said so */
    r = fc_gitsync__known_hosts_check("/nonexistent/kh", "git.example", 22, key, keylen,
                                      why, sizeof(why));
    assert_int_equal(r, FC_HOSTKEY_UNKNOWN);
    assert_non_null(strstr(why, "(no such file)"));

    /* only another key type known: unknown, and the types are named */
    assert_int_equal(
        sh("cd '%s' && echo \"[rsa.example]:2222 $(cut -d' ' -f1,2 hr.pub)\" "
           "> known_hosts",
           root),
        0);
    r = fc_gitsync__known_hosts_check(kh, "rsa.example", 2222, key, keylen, why,
                                      sizeof(why));
    assert_int_equal(r, FC_HOSTKEY_UNKNOWN);
    assert_non_null(strstr(why, "lists only ssh-rsa"));
    free(key);
    free(fp);
}

/* Wildcard host patterns, including the many-'*' pattern the fuzzer found
 * taking exponential time (tests/fuzz/regressions/known_hosts). */
static void test_gitsync_auth__known_hosts_glob_patterns(void **state)
{
    static const char b64[] = "AAAAC3NzaC1lZDI1NTE5AAAAILWYiw5lBDt7HsPGbY/Axw51s3QEKu+gMxeik3rKhcbt";
    static const struct {
        const char *pattern, *host;
        int match;
    } cases[] = {
        {"*.example.com", "git.example.com", 1},
        {"*.example.com", "example.com", 0},
        {"g?t.EXAMPLE.com", "git.example.com", 1},
        {"git.*.com", "git.a.b.com", 1},
        {"*", "anything", 1},
        {"**git**", "git", 1},
        {"git*", "gi", 0},
        {"a*b", "acb", 1},
        {"a*b", "acbc", 0},
        {"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
    };
    char path[] = "/tmp/fc-kh-glob.XXXXXX";
    unsigned char *key = NULL;
    size_t keylen = 0, i;
    char why[512];
    int fd;

    (void)state;
    assert_int_equal(fc_gitsync__b64_decode(b64, strlen(b64), &key, &keylen), 0);
    for (i = 0; i < FC_ARRAY_LEN(cases); i++) {
        FILE *f;
        assert_true((fd = mkstemp(path)) >= 0);
        assert_non_null(f = fdopen(fd, "w"));
        fprintf(f, "%s ssh-ed25519 %s\n", cases[i].pattern, b64);
        fclose(f);
        print_message("  %s vs %s\n", cases[i].pattern, cases[i].host);
        assert_int_equal(fc_gitsync__known_hosts_check(path, cases[i].host, 22, key, keylen,
                                                       why, sizeof(why)),
                         cases[i].match ? FC_HOSTKEY_MATCH : FC_HOSTKEY_UNKNOWN);
        unlink(path);
        strcpy(path, "/tmp/fc-kh-glob.XXXXXX");
    }
    free(key);
}

static void test_gitsync_auth__known_hosts_hashed_wildcard_revoked(void **state)
{
    char kh[PATH_MAX + 32], why[768];
    unsigned char *key, *rsa;
    size_t keylen, rsalen;

    (void)state;
    if (!have("ssh-keygen"))
        skip();
    assert_int_equal(sh("cd '%s' && rm -f hk hk.pub hr hr.pub && "
                        "ssh-keygen -q -t ed25519 -N '' -f hk && "
                        "ssh-keygen -q -t rsa -b 2048 -N '' -f hr",
                        root),
                     0);
    snprintf(kh, sizeof(kh), "%s/hk.pub", root);
    key = pub_blob(kh, &keylen);
    snprintf(kh, sizeof(kh), "%s/hr.pub", root);
    rsa = pub_blob(kh, &rsalen);
    snprintf(kh, sizeof(kh), "%s/known_hosts", root);

    /* hashed by ssh-keygen -H, for a name and a [name]:port */
    assert_int_equal(
        sh("cd '%s' && { echo \"git.example $(cut -d' ' -f1,2 hk.pub)\"; "
           "echo \"[127.0.0.1]:2222 $(cut -d' ' -f1,2 hr.pub)\"; } > known_hosts "
           "&& ssh-keygen -q -H -f known_hosts >/dev/null 2>&1 && "
           "rm -f known_hosts.old && ! grep -q example known_hosts",
           root),
        0);
    assert_int_equal(fc_gitsync__known_hosts_check(kh, "git.example", 22, key, keylen,
                                                   why, sizeof(why)),
                     FC_HOSTKEY_MATCH);
    assert_int_equal(fc_gitsync__known_hosts_check(kh, "127.0.0.1", 2222, rsa, rsalen,
                                                   why, sizeof(why)),
                     FC_HOSTKEY_MATCH);
    assert_int_equal(fc_gitsync__known_hosts_check(kh, "git.example2", 22, key, keylen,
                                                   why, sizeof(why)),
                     FC_HOSTKEY_UNKNOWN);

    /* wildcards and negation */
    assert_int_equal(
        sh("cd '%s' && echo \"*.example,!evil.example $(cut -d' ' -f1,2 hk.pub)\" "
           "> known_hosts",
           root),
        0);
    assert_int_equal(
        fc_gitsync__known_hosts_check(kh, "a.example", 22, key, keylen, why, sizeof(why)),
        FC_HOSTKEY_MATCH);
    assert_int_equal(fc_gitsync__known_hosts_check(kh, "evil.example", 22, key, keylen,
                                                   why, sizeof(why)),
                     FC_HOSTKEY_UNKNOWN);

    /* @revoked beats a matching line */
    assert_int_equal(sh("cd '%s' && { echo \"git.example $(cut -d' ' -f1,2 hk.pub)\"; "
                        "echo \"@revoked * $(cut -d' ' -f1,2 hk.pub)\"; } > known_hosts",
                        root),
                     0);
    assert_int_equal(fc_gitsync__known_hosts_check(kh, "git.example", 22, key, keylen,
                                                   why, sizeof(why)),
                     FC_HOSTKEY_REVOKED);
    assert_non_null(strstr(why, "@revoked"));
    free(key);
    free(rsa);
}

/* ---- signatures --------------------------------------------------------- */

typedef struct {
    char remote[PATH_MAX];
    char work[PATH_MAX + 8];
    char state[PATH_MAX + 8];
    fc_gitsync *g;
} repo_fx;

static int repo_setup(void **state)
{
    repo_fx *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    snprintf(fx->remote, sizeof(fx->remote), "%s/sig-XXXXXX", root);
    if (!mkdtemp(fx->remote))
        return -1;
    snprintf(fx->work, sizeof(fx->work), "%s/work", fx->remote);
    snprintf(fx->state, sizeof(fx->state), "%s/state", fx->remote);
    if (sh("git init -q -b main '%s' && git -C '%s' commit -q --allow-empty -m seed",
           fx->work, fx->work))
        return -1;
    *state = fx;
    return 0;
}

static int repo_teardown(void **state)
{
    repo_fx *fx = *state;

    fc_gitsync_free(fx->g);
    sh("rm -rf '%s'", fx->remote);
    free(fx);
    return 0;
}

/* Opens gitsync on the work repo and fetches; returns the head. */
static char *sync_head(repo_fx *fx)
{
    fc_gitsync_opts o = {0};
    char head[FC_OID_HEX];

    fc_gitsync_free(fx->g);
    fx->g = NULL;
    o.url = fx->work;
    o.state_dir = fx->state;
    assert_int_equal(fc_gitsync_open(&fx->g, &o), FC_OK);
    assert_int_equal(fc_gitsync_fetch(fx->g, head), FC_OK);
    return strdup(head);
}

/* The state dir's tmp/ holds nothing once verification returns. */
static void assert_no_temp_left(const repo_fx *fx)
{
    char *n = out_of("find '%s/tmp' -mindepth 1 2>/dev/null | wc -l", fx->state);
    assert_string_equal(n, "0");
    free(n);
}

static void test_gitsync_auth__verify_ssh_signed_commits(void **state)
{
    repo_fx *fx = *state;
    char *alice, *bob, *head, *signer = NULL;
    const char *keys[2];
    int rc;

    if (!have("ssh-keygen"))
        skip();
    assert_int_equal(sh("cd '%s' && ssh-keygen -q -t ed25519 -N '' -C alice -f alice && "
                        "ssh-keygen -q -t ed25519 -N '' -C bob -f bob && "
                        "echo 1 > a && git add a && "
                        "git -c gpg.format=ssh -c user.signingkey=\"$PWD/alice\" "
                        "commit -q -S -m signed",
                        fx->work),
                     0);
    alice = out_of("cat '%s/alice.pub'", fx->work);
    bob = out_of("cat '%s/bob.pub'", fx->work);
    head = sync_head(fx);

    /* alice's key among the listed ones: verified, the entry returned */
    keys[0] = bob;
    keys[1] = alice;
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 2, &signer);
    if (rc)
        print_error("verify: %s\n", fc_error_last());
    assert_int_equal(rc, FC_OK);
    assert_non_null(signer);
    assert_string_equal(signer, alice);
    free(signer);
    signer = NULL;
    assert_no_temp_left(fx);

    /* only bob listed: denied, naming the signing key's fingerprint */
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 1, &signer);
    print_message("  %s\n", fc_error_last());
    assert_int_equal(rc, FC_EDENIED);
    assert_null(signer);
    assert_non_null(strstr(fc_error_last(), "not among the approver's 1 listed SSH key"));
    {
        char *fp = out_of("ssh-keygen -lf '%s/alice.pub' | cut -d' ' -f2", fx->work);
        assert_non_null(strstr(fc_error_last(), fp));
        free(fp);
    }
    assert_no_temp_left(fx);
    free(head);

    /* an unsigned commit */
    assert_int_equal(sh("cd '%s' && echo 2 > a && git commit -q -am unsigned", fx->work),
                     0);
    head = sync_head(fx);
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 2, &signer);
    print_message("  %s\n", fc_error_last());
    assert_int_equal(rc, FC_EDENIED);
    assert_non_null(strstr(fc_error_last(), "is not signed"));
    free(head);
    free(alice);
    free(bob);
}

/* A signature whose payload was changed after signing: the key is listed,
 * ssh-keygen must say no. */
static void test_gitsync_auth__verify_ssh_tampered_commit(void **state)
{
    repo_fx *fx = *state;
    char *alice, *head, *forged, *signer = NULL;
    const char *keys[1];
    char *gerr;
    int rc;

    if (!have("ssh-keygen"))
        skip();
    assert_int_equal(sh("cd '%s' && ssh-keygen -q -t ed25519 -N '' -C alice -f alice && "
                        "echo 1 > a && git add a && "
                        "git -c gpg.format=ssh -c user.signingkey=\"$PWD/alice\" "
                        "commit -q -S -m 'approve: stop i-123'",
                        fx->work),
                     0);
    /* same headers and signature, another message: a forged object */
    forged = out_of("cd '%s' && git cat-file commit HEAD | "
                    "sed 's/approve: stop i-123/approve: stop i-999/' | "
                    "git hash-object -t commit -w --stdin",
                    fx->work);
    assert_int_equal(strlen(forged), 40);
    assert_int_equal(sh("cd '%s' && git update-ref refs/heads/main %s", fx->work, forged),
                     0);
    alice = out_of("cat '%s/alice.pub'", fx->work);
    head = sync_head(fx);
    assert_string_equal(head, forged);
    keys[0] = alice;
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 1, &signer);
    gerr = strdup(fc_error_last());
    print_message("  %s\n", gerr);
    assert_int_equal(rc, FC_EDENIED);
    assert_null(signer);
    assert_non_null(strstr(gerr, "does not verify"));
    assert_null(strstr(gerr, fx->state)); /* no temp paths in a status reason */
    assert_no_temp_left(fx);
    free(gerr);
    free(alice);
    free(head);
    free(forged);
}

static void test_gitsync_auth__verify_openpgp_signed_commit(void **state)
{
    repo_fx *fx = *state;
    char *fpr, *other_fpr, *armored, *other_armored, *head, *signer = NULL;
    char *entry, *wrong_entry, *bare_entry, *other_entry;
    const char *keys[2];
    int rc;

    if (!have("gpg") || !have("gpgv"))
        skip();
    assert_int_equal(
        sh("cd '%s' && export GNUPGHOME=\"$PWD/gnupg\" && mkdir -m 700 gnupg && "
           "gpg -q --batch --passphrase '' --quick-gen-key "
           "'Alice <alice@example.com>' ed25519 sign never 2>/dev/null && "
           "gpg -q --batch --passphrase '' --quick-gen-key "
           "'Mallory <mallory@example.com>' ed25519 sign never 2>/dev/null && "
           "echo 1 > a && git add a && "
           "git -c user.signingkey=alice@example.com commit -q -S -m signed 2>/dev/null "
           "&& "
           "{ gpgconf --kill gpg-agent 2>/dev/null || true; }",
           fx->work),
        0);
    fpr = out_of("GNUPGHOME='%s/gnupg' gpg --with-colons --list-keys alice@example.com | "
                 "awk -F: '/^fpr/{print $10; exit}'",
                 fx->work);
    other_fpr =
        out_of("GNUPGHOME='%s/gnupg' gpg --with-colons --list-keys mallory@example.com "
               "| awk -F: '/^fpr/{print $10; exit}'",
               fx->work);
    armored =
        out_of("GNUPGHOME='%s/gnupg' gpg --armor --export alice@example.com", fx->work);
    other_armored =
        out_of("GNUPGHOME='%s/gnupg' gpg --armor --export mallory@example.com", fx->work);
    assert_int_equal(strlen(fpr), 40);
    entry = malloc(strlen(fpr) + strlen(armored) + 16);
    sprintf(entry, "openpgp:%s\n%s\n", fpr, armored);
    wrong_entry = malloc(strlen(other_fpr) + strlen(armored) + 16);
    sprintf(wrong_entry, "openpgp:%s\n%s\n", other_fpr, armored);
    other_entry = malloc(strlen(other_fpr) + strlen(other_armored) + 16);
    sprintf(other_entry, "openpgp:%s\n%s\n", other_fpr, other_armored);
    bare_entry = malloc(strlen(fpr) + 16);
    sprintf(bare_entry, "openpgp:%s", fpr);
    head = sync_head(fx);

    /* listed with its key block: verified */
    keys[0] = "ssh-ed25519 "
              "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    keys[1] = entry;
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 2, &signer);
    if (rc)
        print_error("verify: %s\n", fc_error_last());
    assert_int_equal(rc, FC_OK);
    assert_string_equal(signer, entry);
    free(signer);
    signer = NULL;
    assert_no_temp_left(fx);

    /* someone else's key: denied */
    keys[1] = other_entry;
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 2, &signer);
    print_message("  %s\n", fc_error_last());
    assert_int_equal(rc, FC_EDENIED);
    assert_non_null(strstr(fc_error_last(), "not among the approver's 1 listed OpenPGP"));

    /* the right key block under another fingerprint: denied */
    keys[1] = wrong_entry;
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 2, &signer);
    print_message("  %s\n", fc_error_last());
    assert_int_equal(rc, FC_EDENIED);
    assert_non_null(strstr(fc_error_last(), "(fingerprint mismatch)"));

    /* a fingerprint without key material cannot be checked: said so */
    keys[1] = bare_entry;
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 2, &signer);
    print_message("  %s\n", fc_error_last());
    assert_int_equal(rc, FC_EDENIED);
    assert_non_null(strstr(fc_error_last(), "without its armored public key"));

    /* an SSH-only approver: denied */
    rc = fc_gitsync_verify_commit(fx->g, head, keys, 1, &signer);
    assert_int_equal(rc, FC_EDENIED);
    assert_no_temp_left(fx);

    free(head);
    free(fpr);
    free(other_fpr);
    free(armored);
    free(other_armored);
    free(entry);
    free(wrong_entry);
    free(other_entry);
    free(bare_entry);
}

static void test_gitsync_auth__verify_unknown_commit(void **state)
{
    repo_fx *fx = *state;
    char *head = sync_head(fx);
    char *signer = NULL;
    const char *keys[1] = {"ssh-ed25519 AAAA"};

    assert_int_equal(fc_gitsync_verify_commit(fx->g,
                                              "0123456789012345678901234567890123456789",
                                              keys, 1, &signer),
                     FC_ENOTFOUND);
    assert_int_equal(fc_gitsync_verify_commit(fx->g, "nope", keys, 1, &signer),
                     FC_EINVALID);
    assert_null(signer);
    free(head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gitsync_auth__sha_vectors),
        cmocka_unit_test(test_gitsync_auth__hmac_sha1_rfc2202),
        cmocka_unit_test(test_gitsync_auth__base64_round_trip),
        cmocka_unit_test(test_gitsync_auth__ssh_urls),
        cmocka_unit_test(test_gitsync_auth__known_hosts_match_mismatch_unknown),
        cmocka_unit_test(test_gitsync_auth__known_hosts_glob_patterns),
        cmocka_unit_test(test_gitsync_auth__known_hosts_hashed_wildcard_revoked),
        cmocka_unit_test_setup_teardown(test_gitsync_auth__verify_ssh_signed_commits,
                                        repo_setup, repo_teardown),
        cmocka_unit_test_setup_teardown(test_gitsync_auth__verify_ssh_tampered_commit,
                                        repo_setup, repo_teardown),
        cmocka_unit_test_setup_teardown(test_gitsync_auth__verify_openpgp_signed_commit,
                                        repo_setup, repo_teardown),
        cmocka_unit_test_setup_teardown(test_gitsync_auth__verify_unknown_commit,
                                        repo_setup, repo_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
