/*
 * codec.c - the few hashes and encodings gitsync's transport security needs:
 * SHA-1 and HMAC-SHA1 (hashed known_hosts entries), SHA-256 (OpenSSH key
 * fingerprints) and base64 (keys, salts, signatures).
 *
 * Stage: git sync, helpers only.  Pure functions on caller buffers; the one
 * allocation (base64 decode) is handed to the caller.  Written here rather
 * than linked from a crypto library because none of our Debian dependencies
 * exposes them, and they are small, fixed and checked against known vectors
 * in tests/unit/test_gitsync_auth.c.
 */
#include "auth_int.h"

#include "../core/fc_error.h"

#include <stdlib.h>
#include <string.h>

/* ---- SHA-1 (FIPS 180-4) -------------------------------------------------- */

#define ROL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void sha1_block(uint32_t h[5], const unsigned char *blk)
{
    uint32_t w[80];
    uint32_t a, b, c, d, e, f, k, t;
    int i;

    for (i = 0; i < 16; i++)
        w[i] = be32(blk + 4 * i);
    for (; i < 80; i++)
        w[i] = ROL32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (i = 0; i < 80; i++) {
        if (i < 20)
            f = (b & c) | (~b & d), k = 0x5a827999;
        else if (i < 40)
            f = b ^ c ^ d, k = 0x6ed9eba1;
        else if (i < 60)
            f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
        else
            f = b ^ c ^ d, k = 0xca62c1d6;
        t = ROL32(a, 5) + f + e + k + w[i];
        e = d, d = c, c = ROL32(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static void sha256_block(uint32_t h[8], const unsigned char *blk)
{
    uint32_t w[64];
    uint32_t v[8];
    uint32_t s0, s1, t1, t2;
    int i;

    for (i = 0; i < 16; i++)
        w[i] = be32(blk + 4 * i);
    for (; i < 64; i++) {
        s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, h, sizeof(v));
    for (i = 0; i < 64; i++) {
        s1 = ROR32(v[4], 6) ^ ROR32(v[4], 11) ^ ROR32(v[4], 25);
        t1 = v[7] + s1 + ((v[4] & v[5]) ^ (~v[4] & v[6])) + K256[i] + w[i];
        s0 = ROR32(v[0], 2) ^ ROR32(v[0], 13) ^ ROR32(v[0], 22);
        t2 = s0 + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof(v[0]));
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (i = 0; i < 8; i++)
        h[i] += v[i];
}

/* Merkle-Damgard padding shared by both: 0x80, zeros, bit length. */
static void md_run(uint32_t *h, void (*block)(uint32_t *, const unsigned char *),
                   const unsigned char *p, size_t len)
{
    unsigned char tail[128];
    uint64_t bits = (uint64_t)len * 8;
    size_t rest, tlen;
    int i;

    for (; len >= 64; p += 64, len -= 64)
        block(h, p);
    rest = len;
    memset(tail, 0, sizeof(tail));
    memcpy(tail, p, rest);
    tail[rest] = 0x80;
    tlen = rest + 1 + 8 <= 64 ? 64 : 128;
    for (i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (unsigned char)(bits >> (8 * i));
    block(h, tail);
    if (tlen == 128)
        block(h, tail + 64);
}

void fc_gitsync__sha1(const void *data, size_t len, unsigned char out[20])
{
    uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    int i;

    md_run(h, sha1_block, data, len);
    for (i = 0; i < 5; i++)
        put_be32(out + 4 * i, h[i]);
}

void fc_gitsync__sha256(const void *data, size_t len, unsigned char out[32])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    int i;

    md_run(h, sha256_block, data, len);
    for (i = 0; i < 8; i++)
        put_be32(out + 4 * i, h[i]);
}

/* RFC 2104.  Messages here are host names: a stack buffer is plenty, and a
 * longer one simply never matches. */
void fc_gitsync__hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                           unsigned char out[20])
{
    unsigned char k[64] = {0};
    unsigned char buf[64 + 1024];
    unsigned char inner[20];
    size_t i;

    if (klen > 64) {
        fc_gitsync__sha1(key, klen, k);
    } else if (klen) {
        memcpy(k, key, klen);
    }
    if (mlen > sizeof(buf) - 64)
        mlen = sizeof(buf) - 64;
    for (i = 0; i < 64; i++)
        buf[i] = k[i] ^ 0x36;
    if (mlen)
        memcpy(buf + 64, msg, mlen);
    fc_gitsync__sha1(buf, 64 + mlen, inner);
    for (i = 0; i < 64; i++)
        buf[i] = k[i] ^ 0x5c;
    memcpy(buf + 64, inner, 20);
    fc_gitsync__sha1(buf, 64 + 20, out);
}

/* RFC 2104 with SHA-256 (webhook signatures, RFC 4231 vectors in
 * tests/unit/test_http.c).  The message is a request body of any length,
 * so the padded inner block is built on the heap.  FC_ENOMEM or FC_OK. */
int fc_gitsync__hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                            unsigned char out[32])
{
    unsigned char k[64] = {0};
    unsigned char outer[64 + 32];
    unsigned char *buf;
    size_t i;

    if (!(buf = malloc(64 + mlen + 1)))
        return fc_error_set(FC_ENOMEM, "hmac-sha256: %zu bytes", mlen);
    if (klen > 64)
        fc_gitsync__sha256(key, klen, k);
    else if (klen)
        memcpy(k, key, klen);
    for (i = 0; i < 64; i++) {
        buf[i] = k[i] ^ 0x36;
        outer[i] = k[i] ^ 0x5c;
    }
    if (mlen)
        memcpy(buf + 64, msg, mlen);
    fc_gitsync__sha256(buf, 64 + mlen, outer + 64);
    fc_gitsync__sha256(outer, sizeof(outer), out);
    memset(k, 0, sizeof(k));
    free(buf);
    return FC_OK;
}

/* ---- base64 ------------------------------------------------------------- */

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int fc_gitsync__b64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
    unsigned char *buf = malloc(len / 4 * 3 + 4);
    uint32_t acc = 0;
    size_t n = 0;
    size_t i;
    int bits = 0;
    int pad = 0;

    *out = NULL;
    *outlen = 0;
    if (!buf)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        int v;

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || (v = b64_value(c)) < 0) {
            free(buf);
            return fc_error_set(FC_EPARSE, "bad base64");
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    *out = buf;
    *outlen = n;
    return FC_OK;
}

void fc_gitsync__b64_encode(const unsigned char *in, size_t len, int pad, char *out)
{
    size_t i;
    char *o = out;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = B64[(v >> 6) & 63];
        *o++ = B64[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        if (i + 1 < len)
            *o++ = B64[(v >> 6) & 63];
        else if (pad)
            *o++ = '=';
        if (pad)
            *o++ = '=';
    }
    *o = '\0';
}

/* ---- SSH key blobs ------------------------------------------------------ */

void fc_gitsync__ssh_fingerprint(const unsigned char *blob, size_t len,
                                 char out[FC_SSH_FP_LEN])
{
    unsigned char d[32];

    fc_gitsync__sha256(blob, len, d);
    memcpy(out, "SHA256:", 7);
    fc_gitsync__b64_encode(d, sizeof(d), 0, out + 7); /* 43 chars + NUL */
}

int fc_gitsync__ssh_blob_type(const unsigned char *blob, size_t len, char *out,
                              size_t size)
{
    uint32_t n;

    if (len < 4)
        return -1;
    n = be32(blob);
    if (n == 0 || n > len - 4 || n >= size)
        return -1;
    memcpy(out, blob + 4, n);
    out[n] = '\0';
    return 0;
}
