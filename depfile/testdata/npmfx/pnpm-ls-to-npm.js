// pnpm-ls-to-npm.js turns `pnpm list --depth Infinity --json` (an array of
// projects) into the shape of `npm ls --all --json` ({version,
// dependencies: {name: {version, dependencies}}}), so one test reads both.
const fs = require("fs");
const projects = JSON.parse(fs.readFileSync(0, "utf8"));
function conv(n) {
  const out = { version: n.version };
  const deps = {};
  for (const sec of ["dependencies", "devDependencies", "optionalDependencies"]) {
    for (const [name, d] of Object.entries(n[sec] || {})) {
      deps[name] = conv(d);
    }
  }
  if (Object.keys(deps).length > 0) out.dependencies = deps;
  return out;
}
process.stdout.write(JSON.stringify(conv(projects[0]), null, 2) + "\n");
