/*
 * fc_error.c - thread-local last-error message behind fc_error_set().
 */
#include "fc_error.h"

#include <stdio.h>
#include <string.h>

#define FC_ERROR_MAX 1024

static _Thread_local char last_msg[FC_ERROR_MAX];

int fc_error_vset(int code, const char *fmt, va_list ap)
{
    vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
    return code;
}

int fc_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fc_error_vset(code, fmt, ap);
    va_end(ap);
    return code;
}

int fc_error_wrap(int code, const char *fmt, ...)
{
    char prefix[FC_ERROR_MAX];
    char old[FC_ERROR_MAX];
    va_list ap;

    memcpy(old, last_msg, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (old[0])
        snprintf(last_msg, sizeof(last_msg), "%.500s: %.500s", prefix, old);
    else
        snprintf(last_msg, sizeof(last_msg), "%s", prefix);
    return code;
}

const char *fc_error_last(void) { return last_msg; }

void fc_error_clear(void) { last_msg[0] = '\0'; }

const char *fc_code_name(int code)
{
    switch (code) {
#define FC_X(name, value, terminal, text)                                  \
    case value:                                                            \
        return #name;
        FC_CODE_TABLE(FC_X)
#undef FC_X
    }
    return "EUNKNOWN";
}

const char *fc_code_text(int code)
{
    switch (code) {
#define FC_X(name, value, terminal, text)                                  \
    case value:                                                            \
        return text;
        FC_CODE_TABLE(FC_X)
#undef FC_X
    }
    return "unknown error";
}

int fc_code_is_terminal(int code)
{
    switch (code) {
#define FC_X(name, value, terminal, text)                                  \
    case value:                                                            \
        return terminal;
        FC_CODE_TABLE(FC_X)
#undef FC_X
    }
    return 1;
}
