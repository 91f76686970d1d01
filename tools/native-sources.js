'use strict';
// Lists every C++ translation unit under native/ for binding.gyp, so a capability adds files
// without touching the build file. Files named *_fuzz.cc are fuzz entry points, not addon code.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', 'native');
const out = [];
(function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith('.cc') && !entry.name.endsWith('_fuzz.cc')) out.push(path.relative(path.join(__dirname, '..'), full));
  }
})(root);
process.stdout.write(out.join('\n') + '\n');
