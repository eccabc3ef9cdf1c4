#!/usr/bin/env node
// A differential test beyond the checked-in table: mutates the corpus and
// crafted files (values swapped for awkward ones, keys renamed or added,
// lines deleted, moved, re-indented, tokens inserted), asks Backstage for its
// verdict on each mutant, and writes them to OUT_DIR (cases/N.yaml and
// verdicts.tsv: file, verdict, message, source file). Then
//
//   SWITCHBOARD_BACKSTAGE_MUTANTS=OUT_DIR go test ./manifest -run TestMutantsAgreeWithBackstage -v
//
// lists the mutants on which lint and Backstage disagree. Turn a real
// disagreement into a crafted file (and fix it), rerun run.sh.
//
// Usage: node --stack-size=4000 mutate.js REPO_ROOT OUT_DIR [SEED] [COUNT] [values|all]
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { verdict } = require('./verdicts.js');

const [root, outDir] = [path.resolve(process.argv[2]), path.resolve(process.argv[3])];
let seed = Number(process.argv[4] || 1);
const count = Number(process.argv[5] || 3000);
const onlyValues = (process.argv[6] || 'values') === 'values';

// mulberry32
const rnd = n => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
};

const testdata = path.join(root, 'manifest', 'testdata');
const files = [];
const walk = d => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.ya?ml$/.test(e.name)) files.push(p);
  }
};
walk(path.join(testdata, 'crafted'));
walk(path.join(testdata, 'corpus', 'catalog-info'));

const values = ['', '~', 'null', "''", '""', '[]', '{}', '[a]', '[""]', '[~]', '[5]', '{a: b}', '5', '0x1F',
  '1_000', 'yes', 'True', '!!str 5', '!!int x', '"a\\0b"', 'a b', 'A', '-a', 'a-', 'group:', ':x', 'a/b',
  'x:y/z', 'component:a', 'resource:default/b', '2024-01-01', '.inf', '{$text: ./a}', '{$json: ./a}',
  '{$text: 5}', '{$yaml: ./a, b: c}', 'https://example.com', 'mailto:x', '/rel', 'a'.repeat(63),
  'a'.repeat(64), 'Component', 'backstage.io/v1beta1', 'scaffolder.backstage.io/v1beta3', 'required',
  'optional', 'java', 'c++', 'db:mysql', 'Java', '*a', '&a x', '!custom x', '"  "'];
const keys = ['type', 'lifecycle', 'owner', 'system', 'subcomponentOf', 'providesApis', 'consumesApis',
  'dependsOn', 'dependencyOf', 'definition', 'domain', 'subdomainOf', 'profile', 'parent', 'children',
  'members', 'memberOf', 'target', 'targets', 'presence', 'steps', 'parameters', 'output', 'tier',
  'language', 'framework', 'partOf', 'leader', 'name', 'namespace', 'title', 'description', 'labels',
  'annotations', 'tags', 'links', 'uid', 'etag', 'Type', 'relations', 'status', '<<', 'extra', 'url', 'icon'];
const tokens = [': ', '- ', '&a ', '*a', '<<: *a', '~', "''", '"', '#', '{', '}', '[', ']', ',', '!!str ',
  '---', '\t', 'null', ' ', '  ', '|', '>', '? ', 'x: y', '0x10', '1_0', 'yes', '%', '@', '`', '\\0'];

const entry = /^\s*[A-Za-z<$-][^:]*: /;
const pick = (l, re) => {
  const idx = l.map((x, i) => [x, i]).filter(([x]) => re.test(x));
  return idx.length ? idx[rnd(idx.length)] : undefined;
};
const ops = [
  l => { const e = pick(l, entry); if (e) l[e[1]] = e[0].replace(/: .*$/, `: ${values[rnd(values.length)]}`); },
  l => { const e = pick(l, /^  [A-Za-z]/); if (e) l.splice(e[1], 0, `  ${keys[rnd(keys.length)]}: ${values[rnd(values.length)]}`); },
  l => { const e = pick(l, entry); if (e) l[e[1]] = e[0].replace(/^(\s*)[^:]+:/, `$1${keys[rnd(keys.length)]}:`); },
  l => { l.splice(rnd(l.length), 1); },
  l => { const i = rnd(l.length); l.splice(i, 0, l[i]); },
  l => { const i = rnd(l.length); l[i] = ' '.repeat(rnd(3)) + l[i]; },
  l => { const i = rnd(l.length); l[i] = l[i].replace(/^ {1,2}/, ''); },
  l => { const i = rnd(l.length); const j = rnd(l[i].length + 1); l[i] = l[i].slice(0, j) + tokens[rnd(tokens.length)] + l[i].slice(j); },
  l => { const i = rnd(l.length), j = rnd(l.length); [l[i], l[j]] = [l[j], l[i]]; },
];

(async () => {
  fs.mkdirSync(path.join(outDir, 'cases'), { recursive: true });
  const rows = [];
  for (let n = 0; n < count; n++) {
    const f = files[rnd(files.length)];
    const lines = fs.readFileSync(f, 'latin1').split('\n');
    for (let k = 0, m = 1 + rnd(3); k < m; k++) {
      if (lines.length === 0) lines.push('');
      ops[onlyValues ? rnd(3) : rnd(ops.length)](lines);
    }
    const name = `${n}.yaml`;
    const out = path.join(outDir, 'cases', name);
    fs.writeFileSync(out, Buffer.from(lines.join('\n'), 'latin1'));
    const [ok, msg] = await verdict(out, name);
    rows.push([name, ok ? 'valid' : 'invalid', msg.replace(/[\t\r\n]+/g, ' ').slice(0, 300), path.relative(testdata, f)].join('\t'));
  }
  fs.writeFileSync(path.join(outDir, 'verdicts.tsv'), `${rows.join('\n')}\n`);
  process.stderr.write(`${count} mutants written to ${outDir}\n`);
})();
