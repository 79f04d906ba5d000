/*
 * fc_error.h - one error enum for the whole controller, and a thread-local
 * last-error message.
 *
 * Every function that can fail returns an int: FC_OK (0) or a negative
 * fc_code.  The function that detects the failure calls fc_error_set(), which
 * records a one-line message and returns the code, so callers write
 * `return fc_error_set(FC_EINVALID, "...")`.  Callers propagate codes; they do
 * not overwrite the message of a callee.
 */
#ifndef FC_ERROR_H
#define FC_ERROR_H

#include <stdarg.h>

/* X(name, value, terminal, text) */
#define FC_CODE_TABLE(X)                                                   \
    X(OK, 0, 1, "ok")                                                      \
    X(ENOMEM, -1, 1, "out of memory")                                      \
    X(EINVALID, -2, 1, "invalid argument or input")                        \
    X(EPARSE, -3, 1, "parse error")                                        \
    X(EDENIED, -4, 1, "permission denied")                                 \
    X(ENOTFOUND, -5, 1, "not found")                                       \
    X(ECONFLICT, -6, 0, "conflict")                                        \
    X(ETHROTTLED, -7, 0, "throttled")                                      \
    X(EIO, -8, 0, "i/o error")                                             \
    X(EGIT, -9, 0, "git error")                                            \
    X(ENETWORK, -10, 0, "network error")                                   \
    X(ETIMEOUT, -11, 0, "timed out")                                       \
    X(ELIMIT, -12, 1, "limit exceeded")                                    \
    X(EUNSUPPORTED, -13, 1, "unsupported")

typedef enum {
#define FC_X(name, value, terminal, text) FC_##name = value,
    FC_CODE_TABLE(FC_X)
#undef FC_X
} fc_code;

/* Records a message for the calling thread and returns `code`. */
int fc_error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int fc_error_vset(int code, const char *fmt, va_list ap);

/* Prefixes the current message ("context: message"), returns `code`. */
int fc_error_wrap(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last message of this thread; never NULL (empty when none). Borrowed. */
const char *fc_error_last(void);
void fc_error_clear(void);

/* Short symbolic name ("EINVALID") and human text of a code. */
const char *fc_code_name(int code);
const char *fc_code_text(int code);

/* Terminal errors are not retried: retrying cannot change the outcome. */
int fc_code_is_terminal(int code);

#endif
