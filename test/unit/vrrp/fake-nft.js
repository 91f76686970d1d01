#!/usr/bin/env node
'use strict';
// Stands in for nft(8) in unit tests: appends each batch it is given (-f -) to $FAKE_NFT_LOG,
// and fails like nft when the batch contains $FAKE_NFT_FAIL.
const fs = require('fs');
const script = fs.readFileSync(0, 'utf8');
fs.appendFileSync(process.env.FAKE_NFT_LOG, `${script}---\n`);
if (process.env.FAKE_NFT_FAIL && script.includes(process.env.FAKE_NFT_FAIL)) {
  process.stderr.write('Error: Could not process rule: No such file or directory\n');
  process.exit(1);
}
