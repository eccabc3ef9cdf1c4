#!/usr/bin/env node
// Backstage's verdict on each descriptor file of Switchboard's test corpus.
//
// Each file goes through what the catalog backend does with a catalog-info.yaml
// that a Location points at, using the real exported code of the packages
// pinned in package.json wherever it is exported:
//
//  1. parseEntityYaml (@backstage/plugin-catalog-node): the `yaml` package's
//     parseAllDocuments on the bytes decoded as UTF-8, merge keys off; a
//     document with errors, or whose root is not an object, is an error.
//  2. ProcessorOutputCollector.receive (plugin-catalog-backend, not exported:
//     copied below): the entity envelope schema, metadata.annotations an
//     object, then the location annotations added.
//  3. DefaultCatalogProcessingOrchestrator.processSingleEntity (not exported:
//     its steps are called below in its order): envelope again, preprocess
//     (PlaceholderProcessor, BuiltinKindsEntityProcessor), the entity
//     policies of CatalogBuilder.buildEntityPolicy, the entity schema, the
//     kind validators (BuiltinKindsEntityProcessor and the scaffolder's
//     ScaffolderEntitiesProcessor for Template), then postprocess (relation
//     emission with parseEntityRef and each field's default kind).
//  4. The stitcher's buildEntitySearch check for keys that differ only in
//     case (not exported: copied below), which keeps an entity out of the
//     catalog too.
//
// Left out, because they depend on things outside the file: reading the
// targets of a Location entity, and the contents behind $text/$json/$yaml
// placeholders (a stub stands in for what they would read).
//
// Usage: node verdicts.js REPO_ROOT   (see README.md; run.sh does it all)
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const catalogModel = require('@backstage/catalog-model');
const { ConfigReader } = require('@backstage/config');
const { ScmIntegrations } = require('@backstage/integration');
const { parseEntityYaml } = require('@backstage/plugin-catalog-node');
const {
  BuiltinKindsEntityProcessor,
  PlaceholderProcessor,
} = require('@backstage/plugin-catalog-backend');
const {
  ScaffolderEntitiesProcessor,
} = require('@backstage/plugin-catalog-backend-module-scaffolder-entity-model');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..'));
const testdata = path.join(root, 'manifest', 'testdata');
const out = path.join(testdata, 'backstage-verdicts.tsv');

// The entity policies of CatalogBuilder.buildEntityPolicy
// (plugin-catalog-backend 4.0.5, src/service/CatalogBuilder.ts), with no
// extra field format validators.
const policy = catalogModel.EntityPolicies.allOf([
  new catalogModel.SchemaValidEntityPolicy(),
  new catalogModel.DefaultNamespaceEntityPolicy(),
  new catalogModel.NoForeignRootFieldsEntityPolicy(),
  new catalogModel.FieldFormatEntityPolicy(catalogModel.makeValidator()),
]);

// plugin-catalog-backend 4.0.5, src/processing/util.ts.
const validateEntity = catalogModel.entitySchemaValidator();
const validateEntityEnvelope = catalogModel.entityEnvelopeSchemaValidator();

const integrations = ScmIntegrations.fromConfig(new ConfigReader({}));

// Placeholder resolvers that check what the real ones check of the value
// (PlaceholderProcessor.ts, relativeUrl: a string) and return a stub for the
// content they would read.
function stubResolver(content) {
  return async ({ key, value }) => {
    if (typeof value !== 'string') {
      throw new Error(
        `Placeholder $${key} expected a string value parameter, in the form of an absolute URL or a relative path`,
      );
    }
    return content();
  };
}

// The processors of CatalogBuilder.buildProcessors, in its order, that act on
// an entity's content.
const processors = [
  new PlaceholderProcessor({
    resolvers: {
      json: stubResolver(() => ({})),
      yaml: stubResolver(() => ({})),
      text: stubResolver(() => 'stub'),
    },
    reader: {
      readUrl: async () => {
        throw new Error('no reading in the oracle');
      },
    },
    integrations,
  }),
  new BuiltinKindsEntityProcessor(),
  new ScaffolderEntitiesProcessor(),
];

function errText(e) {
  let s = String(e && e.message ? e.message : e);
  // InputError and friends keep their cause apart.
  for (let c = e && e.cause; c; c = c.cause) {
    s += `; caused by ${c.message || c}`;
  }
  return s;
}

// ProcessorOutputCollector.receive for an emitted entity
// (plugin-catalog-backend 4.0.5, src/processing/ProcessorOutputCollector.ts).
function receive(entity, location) {
  entity = validateEntityEnvelope(entity);
  const annotations = entity.metadata.annotations || {};
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    throw new Error('metadata.annotations must be a valid object');
  }
  return {
    ...entity,
    metadata: {
      ...entity.metadata,
      annotations: {
        ...annotations,
        [catalogModel.ANNOTATION_ORIGIN_LOCATION]: location,
        [catalogModel.ANNOTATION_LOCATION]: location,
      },
    },
  };
}

// DefaultCatalogProcessingOrchestrator.processSingleEntity
// (plugin-catalog-backend 4.0.5,
// src/processing/DefaultCatalogProcessingOrchestrator.ts), without the
// Location target reading.
async function processEntity(entity, location) {
  const errors = [];
  const emit = i => {
    if (i.type === 'error') errors.push(i.error);
  };
  try {
    validateEntityEnvelope(entity);
  } catch (e) {
    throw new Error(
      `Entity envelope failed validation before processing; caused by ${errText(e)}`,
    );
  }
  const entityRef = catalogModel.stringifyEntityRef(entity);
  for (const p of processors) {
    if (p.preProcessEntity) {
      try {
        entity = await p.preProcessEntity(entity, location, emit);
      } catch (e) {
        throw new Error(
          `Processor ${p.getProcessorName()} threw an error while preprocessing; caused by ${errText(e)}`,
        );
      }
    }
  }
  try {
    entity = await policy.enforce(entity);
  } catch (e) {
    throw new Error(`Policy check failed for ${entityRef}; caused by ${errText(e)}`);
  }
  if (catalogModel.stringifyEntityRef(entity) !== entityRef) {
    throw new Error('Fatal: The entity kind, namespace, or name changed during processing');
  }
  try {
    validateEntity(entity);
  } catch (e) {
    throw new Error(
      `Entity envelope for ${entityRef} failed validation after preprocessing; caused by ${errText(e)}`,
    );
  }
  let valid = false;
  for (const p of processors) {
    if (p.validateEntityKind) {
      try {
        if (await p.validateEntityKind(entity)) valid = true;
      } catch (e) {
        throw new Error(
          `Processor ${p.getProcessorName()} threw an error while validating the entity ${entityRef}; caused by ${errText(e)}`,
        );
      }
    }
  }
  if (!valid) {
    throw new Error(
      `No processor recognized the entity ${entityRef} as valid, possibly caused by a foreign kind or apiVersion`,
    );
  }
  for (const p of processors) {
    if (p.postProcessEntity) {
      try {
        entity = await p.postProcessEntity(entity, location, emit);
      } catch (e) {
        throw new Error(
          `Processor ${p.getProcessorName()} threw an error while postprocessing; caused by ${errText(e)}`,
        );
      }
    }
  }
  if (errors.length) throw errors[0];
  return entity;
}

// The casing check of buildEntitySearch (plugin-catalog-backend 4.0.5,
// src/database/operations/stitcher/buildEntitySearch.ts): traverse's keys,
// relations left out (they come from other entities too).
function checkSearchKeys(entity) {
  const special = ['attachments', 'relations', 'status', 'metadata.name',
    'metadata.namespace', 'metadata.uid', 'metadata.etag'];
  const keys = [];
  const seenPathKeys = new Set();
  const visit = (p, cur) => {
    if (special.includes(p)) return;
    if (cur === undefined || cur === null || ['string', 'number', 'boolean'].includes(typeof cur)) {
      keys.push(p);
      return;
    }
    if (typeof cur !== 'object') return;
    if (Array.isArray(cur)) {
      for (const item of cur) {
        visit(p, item);
        if (typeof item === 'string') {
          const pathKey = `${p}.${item}`;
          if (!seenPathKeys.has(pathKey.toLowerCase())) {
            seenPathKeys.add(pathKey.toLowerCase());
            keys.push(pathKey);
          }
        }
      }
      return;
    }
    for (const [k, v] of Object.entries(cur)) visit(p ? `${p}.${k}` : k, v);
  };
  visit('', entity);
  keys.push('metadata.name', 'metadata.namespace', 'metadata.uid');
  const set = new Set(keys);
  const lower = new Set(keys.map(k => k.toLowerCase()));
  if (set.size !== lower.size) {
    const diff = [];
    for (const k of set) if (!lower.delete(k.toLowerCase())) diff.push(k.toLowerCase());
    throw new Error(`Entity has duplicate keys that vary only in casing, '${diff.join("', '")}'`);
  }
}

// verdict runs one file and returns [valid, message].
async function verdict(file, rel) {
  const data = fs.readFileSync(file);
  const location = { type: 'url', target: `https://gitlab.example.com/acme/repo/-/blob/main/${rel}` };
  const locationRef = catalogModel.stringifyLocationRef(location);
  const problems = [];
  let entities = 0;
  let doc = 0;
  // UrlReaderProcessor.readLocation (plugin-catalog-backend 4.0.5,
  // src/processors/UrlReaderProcessor.ts): what the parser yields is emitted
  // as it comes; a throw (toJSON of an alias whose anchor is in another
  // document) ends the file with "Unable to read url, ...".
  const results = [];
  try {
    for (const r of parseEntityYaml(data, location)) results.push(r);
  } catch (e) {
    results.push({ type: 'error', error: new Error(`Unable to read url, ${errText(e)}`) });
  }
  for (const r of results) {
    doc++;
    if (r.type === 'error') {
      problems.push(`document ${doc}: ${errText(r.error)}`);
      continue;
    }
    if (r.type !== 'entity') continue;
    if (isCyclic(r.entity)) {
      // An alias to an enclosing node: PlaceholderProcessor recurses until
      // the stack overflows (which can take the whole process down).
      problems.push(`document ${doc}: RangeError: Maximum call stack size exceeded (the entity contains itself through an alias)`);
      continue;
    }
    try {
      const received = receive(r.entity, locationRef);
      const done = await processEntity(received, location);
      checkSearchKeys(done);
      entities++;
    } catch (e) {
      problems.push(`document ${doc}: ${errText(e)}`);
    }
  }
  if (problems.length) return [false, problems.join(' | ')];
  return [true, `${entities} ${entities === 1 ? 'entity' : 'entities'}`];
}

// isCyclic reports whether value contains itself.
function isCyclic(value, stack = new Set()) {
  if (!value || typeof value !== 'object') return false;
  if (stack.has(value)) return true;
  stack.add(value);
  for (const v of Object.values(value)) {
    if (isCyclic(v, stack)) return true;
  }
  stack.delete(value);
  return false;
}

function clean(s) {
  s = s.replace(new RegExp(`https://gitlab.example.com/acme/repo/-/blob/main/`, 'g'), '');
  s = s.replace(/[\t\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return s.length > 400 ? `${s.slice(0, 397)}...` : s;
}

function listFiles(dir) {
  const outFiles = [];
  const walk = d => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name < b.name ? -1 : 1)) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) outFiles.push(p);
    }
  };
  walk(dir);
  return outFiles;
}

// differences.tsv: file, reason — Switchboard's deliberate differences.
function readDifferences() {
  const m = new Map();
  const p = path.join(root, 'tools', 'backstage-verdicts', 'differences.tsv');
  for (const line of fs.readFileSync(p, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [file, reason] = line.split('\t');
    m.set(file, reason || '');
  }
  return m;
}

async function main() {
  const differences = readDifferences();
  const files = [
    ...listFiles(path.join(testdata, 'corpus', 'catalog-info')),
    ...listFiles(path.join(testdata, 'crafted')),
  ];
  const rows = ['file\tbackstage\tmessage\tdifference'];
  let valid = 0;
  for (const f of files) {
    const rel = path.relative(testdata, f).split(path.sep).join('/');
    const [ok, msg] = await verdict(f, rel);
    if (ok) valid++;
    rows.push([rel, ok ? 'valid' : 'invalid', clean(msg), differences.get(rel) || ''].join('\t'));
    differences.delete(rel);
  }
  for (const k of differences.keys()) {
    throw new Error(`differences.tsv names ${k}, which is not a corpus file`);
  }
  fs.writeFileSync(out, `${rows.join('\n')}\n`);
  process.stderr.write(`${files.length} files: ${valid} valid, ${files.length - valid} invalid; wrote ${out}\n`);
}

module.exports = { verdict };

if (require.main === module) {
  main().catch(e => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
}
