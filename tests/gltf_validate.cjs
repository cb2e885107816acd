// The Khronos glTF validator over GLB files: `node gltf_validate.cjs FILE...` prints one JSON
// object {file: {errors, warnings, messages}}; NODE_PATH names the node_modules holding it.
const fs = require("fs");
const validator = require("gltf-validator");

async function main(files) {
  const out = {};
  for (const file of files) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)));
    out[file] = {errors: report.issues.numErrors, warnings: report.issues.numWarnings,
                 messages: report.issues.messages.filter(m => m.severity <= 1).slice(0, 20)};
  }
  process.stdout.write(JSON.stringify(out));
}
main(process.argv.slice(2)).catch(e => { console.error(e); process.exit(2); });
