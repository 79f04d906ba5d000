/*
 * limits.c - keeps hostile spec files bounded before the loader parses them.
 *
 * Stage: desired state, inside the spec loader (specs.c load_file), per
 * file, after the size limit (FC_SPEC_MAX_FILE_BYTES) and before libyaml
 * composes documents.  Input: one file's bytes.  Output: FC_OK, or the
 * first limit exceeded as "line + what: limit N" for the loader to turn
 * into a spec error naming the file.  Nothing is allocated beyond
 * libyaml's parser, which is freed before returning.
 *
 * Why a separate pass: libyaml's composer and libcyaml build whole trees and
 * some of our walkers recurse, so depth, huge scalars, long lists and maps
 * (libcyaml grows arrays one entry at a time) and alias fan-out are
 * refused while only events are streamed (constant memory besides the
 * parser's own buffers, linear time).  Documents are counted by the loader
 * (FC_SPEC_MAX_DOCUMENTS); UTF-8, NUL bytes and control characters are
 * refused by libyaml's reader, duplicate keys by the loader's schema pass.
 */
#include "specs/limits_int.h"

#include "controller/core/fc_error.h"
#include "specs/fc_specs.h"

#include <stdio.h>

#include <yaml.h>

int fc_specs_prescan(const char *data, size_t len, unsigned *line, char *msg,
                     size_t msgsize)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    unsigned depth = 0, aliases = 0, anchors = 0;
    /* Per open collection: entries so far (a mapping counts keys and
     * values) and whether it is a mapping.  [0] is the document level. */
    unsigned long items[FC_SPEC_MAX_DEPTH + 2];
    unsigned char is_map[FC_SPEC_MAX_DEPTH + 2];
    int rc = FC_OK, done = 0;

    *line = 0;
    if (msgsize)
        msg[0] = '\0';
    if (!yaml_parser_initialize(&parser))
        return fc_error_set(FC_ENOMEM, "out of memory creating YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    while (!done && rc == FC_OK) {
        const char *anchor = NULL;

        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_MEMORY_ERROR)
                rc = fc_error_set(FC_ENOMEM, "out of memory scanning YAML");
            break; /* a syntax error: the loader reports it */
        }
        *line = (unsigned)ev.start_mark.line + 1;
        /* libcyaml grows arrays one entry at a time: long lists and maps
         * cost quadratic time, so their length is bounded too. */
        if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT ||
            ev.type == YAML_SEQUENCE_START_EVENT ||
            ev.type == YAML_MAPPING_START_EVENT) {
            if (depth && ++items[depth] > (is_map[depth] ? 2ul : 1ul) *
                                              FC_SPEC_MAX_ITEMS) {
                snprintf(msg, msgsize, "more than %d entries in one %s: limit %d",
                         FC_SPEC_MAX_ITEMS, is_map[depth] ? "map" : "list",
                         FC_SPEC_MAX_ITEMS);
                rc = FC_EINVALID;
                yaml_event_delete(&ev);
                break;
            }
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            depth = 0;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            anchor = ev.type == YAML_MAPPING_START_EVENT
                         ? (const char *)ev.data.mapping_start.anchor
                         : (const char *)ev.data.sequence_start.anchor;
            if (++depth > FC_SPEC_MAX_DEPTH) {
                snprintf(msg, msgsize, "nesting too deep: limit %d",
                         FC_SPEC_MAX_DEPTH);
                rc = FC_EINVALID;
                break;
            }
            items[depth] = 0;
            is_map[depth] = ev.type == YAML_MAPPING_START_EVENT;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth)
                depth--;
            break;
        case YAML_SCALAR_EVENT:
            anchor = (const char *)ev.data.scalar.anchor;
            if (ev.data.scalar.length > FC_SPEC_MAX_SCALAR_BYTES) {
                snprintf(msg, msgsize, "scalar of %zu bytes: limit %d",
                         ev.data.scalar.length, FC_SPEC_MAX_SCALAR_BYTES);
                rc = FC_EINVALID;
            }
            break;
        case YAML_ALIAS_EVENT:
            /* Aliases are refused per document anyway (libcyaml's
             * NO_ALIAS); more than a few is an expansion bomb. */
            if (++aliases > FC_SPEC_MAX_ALIASES) {
                snprintf(msg, msgsize, "too many YAML aliases: limit %d",
                         FC_SPEC_MAX_ALIASES);
                rc = FC_EINVALID;
            }
            break;
        default:
            break;
        }
        if (rc == FC_OK && anchor && ++anchors > FC_SPEC_MAX_ALIASES) {
            snprintf(msg, msgsize, "too many YAML anchors: limit %d",
                     FC_SPEC_MAX_ALIASES);
            rc = FC_EINVALID;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc == FC_OK)
        *line = 0;
    return rc;
}
