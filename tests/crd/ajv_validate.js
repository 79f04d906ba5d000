// ajv_validate.js - validates spec documents against the openAPIV3Schema of
// the CRDs, as the Kubernetes API server would, with ajv (an independent
// JSON Schema implementation).
//
// Usage: node ajv_validate.js NODE_MODULES_DIR CRDS.json DOCS.json
//   CRDS.json: [CustomResourceDefinition, ...] (already parsed from YAML)
//   DOCS.json: [{file, docs: [document, ...]}, ...]
// Prints one JSON object {file: [error, ...]} (an empty list = valid).
//
// What the API server adds to the schema, done here the same way:
// - the envelope: apiVersion group/version served by a CRD of that kind,
//   metadata.name required;
// - strict field validation (kubectl's default): unknown fields of any
//   object that lists properties are errors, except where the schema says
//   x-kubernetes-preserve-unknown-fields, and in metadata (ObjectMeta);
// - OpenAPI 3.0 -> JSON Schema: boolean exclusiveMinimum/Maximum, nullable.
'use strict';
const path = require('path');
const fs = require('fs');

const [modulesDir, crdsFile, docsFile] = process.argv.slice(2);
const req = require('module').createRequire(path.join(modulesDir, 'noop.js'));
const Ajv = req('ajv').default;
const addFormats = req('ajv-formats').default;

// Kubernetes' vendor extensions are the only keywords strict mode may not
// know; everything else stays strict.
const ajv = new Ajv({ strict: true, allErrors: true });
addFormats(ajv);
for (const k of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string',
                 'x-kubernetes-embedded-resource', 'x-kubernetes-list-type',
                 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
                 'x-kubernetes-validations'])
  ajv.addKeyword({ keyword: k });

function toJsonSchema(s, where) {
  if (Array.isArray(s)) return s.map((x) => toJsonSchema(x, where));
  if (s === null || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties') {
      out.properties = {};
      for (const [pk, pv] of Object.entries(v))
        out.properties[pk] = toJsonSchema(pv, where.concat(pk));
    } else if (k === 'items' || k === 'additionalProperties') {
      out[k] = typeof v === 'object' ? toJsonSchema(v, where.concat('[]')) : v;
    } else if (k === 'exclusiveMinimum' || k === 'exclusiveMaximum' || k === 'nullable') {
      // handled below
    } else {
      out[k] = toJsonSchema(v, where);
    }
  }
  if (s.exclusiveMinimum === true) { out.exclusiveMinimum = s.minimum; delete out.minimum; }
  if (s.exclusiveMaximum === true) { out.exclusiveMaximum = s.maximum; delete out.maximum; }
  if (s.nullable === true && typeof s.type === 'string') out.type = [s.type, 'null'];
  const isMeta = where.length === 1 && where[0] === 'metadata';
  if (s.properties && !s['x-kubernetes-preserve-unknown-fields'] && !isMeta &&
      s.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

const crds = JSON.parse(fs.readFileSync(crdsFile, 'utf8'));
const validators = {}; // "group/version Kind" -> compiled schema
const kinds = {};      // Kind -> ["group/version", ...]
for (const crd of crds) {
  const kind = crd.spec.names.kind;
  for (const v of crd.spec.versions) {
    if (!v.served) continue;
    const api = `${crd.spec.group}/${v.name}`;
    const envelope = {
      type: 'object',
      required: ['apiVersion', 'kind', 'metadata'],
      properties: {
        apiVersion: { type: 'string', const: api },
        kind: { type: 'string', const: kind },
        // ObjectMeta as the API server checks it (name, string maps).
        metadata: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            annotations: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    };
    const schema = { allOf: [envelope, toJsonSchema(v.schema.openAPIV3Schema, [])] };
    validators[`${api} ${kind}`] = ajv.compile(schema);
    (kinds[kind] = kinds[kind] || []).push(api);
  }
}

const result = {};
for (const { file, docs } of JSON.parse(fs.readFileSync(docsFile, 'utf8'))) {
  const errors = [];
  docs.forEach((doc, i) => {
    if (doc === null) return; // an empty document, skipped like kubectl does
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      errors.push(`document ${i + 1}: not an object`);
      return;
    }
    const served = kinds[doc.kind];
    if (!served) {
      errors.push(`document ${i + 1}: no CRD defines kind ${JSON.stringify(doc.kind)}`);
      return;
    }
    const validate = validators[`${doc.apiVersion} ${doc.kind}`] ||
                     validators[`${served[0]} ${doc.kind}`];
    if (!validate(doc))
      for (const e of validate.errors)
        errors.push(`document ${i + 1}: ${e.instancePath || '/'} ${e.message}` +
                    (e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''));
  });
  result[file] = errors;
}
process.stdout.write(JSON.stringify(result, null, 1) + '\n');
