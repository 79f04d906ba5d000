/*
 * fc_config.h - every setting of finops-controller, from one table.
 *
 * The table (settings.c) names each setting once: its key in the YAML config
 * file ("repo", "git.tokenFile"), its long flag, its FINOPS_* environment
 * variable, type, default and help.  From it come the getopt long options,
 * the environment lookup, the config file schema, validation, the --help
 * flag list and `finops-controller config`.
 *
 * Precedence: flags > FINOPS_* environment > config file (--config,
 * FINOPS_CONFIG) > defaults.  Every value is validated where it enters, and
 * errors name it the way the user wrote it: "--interval: ...",
 * "FINOPS_INTERVAL: ...", "file.yaml:3: interval: ...".
 *
 * Ownership: fc_config_parse() returns a config you free with
 * fc_config_free(); strings returned by the getters are borrowed and stay
 * valid until the next fc_config_reload() or fc_config_free().
 */
#ifndef FC_CONFIG_H
#define FC_CONFIG_H

#include "controller/pass/fc_run.h"

#include <stddef.h>
#include <stdio.h>

typedef enum {
    FC_CFG_STRING,
    FC_CFG_PATH,     /* a file or directory name: non-empty */
    FC_CFG_BOOL,     /* true/false, 1/0, yes/no; a flag without value = true */
    FC_CFG_INT,      /* a decimal integer >= 0 */
    FC_CFG_DURATION, /* 30s, 5m, 1h, 1d */
    FC_CFG_ENUM,     /* one of choices ("sim|aws") */
    FC_CFG_ADDRESS,  /* HOST:PORT or [IPv6]:PORT */
    FC_CFG_URL,      /* http:// or https:// */
    FC_CFG_TIME      /* YYYY-MM-DDTHH:MM:SSZ */
} fc_config_type;

/* fc_config_setting.flags */
enum {
    FC_CFG_SECRET = 1, /* the value is never printed or logged */
    FC_CFG_NOFILE = 2, /* not accepted in the config file (command-line only) */
    FC_CFG_HIDDEN = 4  /* not listed by `config` (--help, --version, --config) */
};

/* Computes a default at resolution time (e.g. from $XDG_STATE_HOME). */
typedef void (*fc_config_default_fn)(char *buf, size_t size);

typedef struct {
    const char *key;          /* file key, dotted for nesting: "git.tokenFile" */
    const char *flag;         /* long flag without "--"; NULL = none */
    char short_flag;          /* e.g. 'h'; 0 = none */
    const char *env;          /* FINOPS_...; NULL = none */
    fc_config_type type;
    const char *dflt;         /* NULL = unset */
    fc_config_default_fn dflt_fn; /* used when dflt is NULL */
    const char *choices;      /* FC_CFG_ENUM: "a|b|c" */
    unsigned flags;           /* FC_CFG_SECRET | ... */
    const char *arg;          /* placeholder in --help: "URL|PATH" */
    const char *help;
} fc_config_setting;

/* The table, in --help order. */
extern const fc_config_setting fc_config_settings[];
extern const size_t fc_config_nsettings;

typedef enum {
    FC_CFG_SRC_DEFAULT,
    FC_CFG_SRC_FILE,
    FC_CFG_SRC_ENV,
    FC_CFG_SRC_FLAG
} fc_config_source;

typedef struct fc_config fc_config;

/* Resolves every setting from argv (getopt_long from argv[0]'s next
 * element; GNU permutation applies), the environment and the config file.
 * *first_arg (may be NULL) receives the index of the first non-option
 * argument.  FC_EINVALID with a message naming the flag, variable or
 * file:line: key for any invalid value, "--x: unknown flag" and
 * "--x: missing value" for the command line.  getopt's optind is left at
 * the first argument, as with a plain getopt_long loop. */
int fc_config_parse(fc_config **out, int argc, char **argv, int *first_arg);
void fc_config_free(fc_config *cfg);

/* Re-reads the config file (flags and environment are kept).  On success
 * logs one line per changed key (secret values masked) and sets *changed
 * (may be NULL) to their number; on an invalid file returns its error and
 * cfg is left exactly as it was. */
int fc_config_reload(fc_config *cfg, size_t *changed);

/* Getters by key ("repo", "git.tokenFile"); assert on an unknown key. */
const char *fc_config_get(const fc_config *cfg, const char *key); /* NULL = unset */
int fc_config_bool(const fc_config *cfg, const char *key);
long fc_config_long(const fc_config *cfg, const char *key); /* int; duration in s; -1 unset */
fc_config_source fc_config_source_of(const fc_config *cfg, const char *key);
/* The config file in use, NULL when none. */
const char *fc_config_file(const fc_config *cfg);

/* `finops-controller config`: one line per setting with its effective value
 * and where it came from (flag --x, env FINOPS_X, file F:LINE, default);
 * secrets show as <redacted>. */
void fc_config_print(const fc_config *cfg, FILE *f);
/* The --help flag list generated from the table. */
void fc_config_print_flags(FILE *f);

/* `finops-controller check` (check.c): with o's repo and credentials, tests
 * git fetch and push rights (a push to the scratch ref
 * refs/finops-controller/check, deleted again) and, for every Account spec,
 * its provider's credentials and one read-only call per service and region.
 * Prints a table on out; returns 0 when everything works, 1 otherwise. */
int fc_check_command(const fc_run_opts *o, FILE *out);

#endif
