#!/usr/bin/env node
'use strict';
require('../dist/cli/index.js').runProcess().catch((error) => {
  process.stderr.write(`hakit: ${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});
