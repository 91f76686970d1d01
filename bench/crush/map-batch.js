'use strict';
// One contender process for the benchmark: compile MAP, map x = 0..COUNT-1 with RULE/NUMREP
// through the batch API (THREADS threads), exit. Start-up and map loading are removed by the
// t(1M) - t(100k) difference, exactly as for crushtool.
const fs = require('fs');
const { crush } = require('../..');

const [map, rule, numrep, count, threads] = process.argv.slice(2);
const compiled = new crush.CompiledCrushMap(fs.readFileSync(map));
const res = compiled.mapBatch({ rule: Number(rule), numrep: Number(numrep), minX: 0, count: Number(count), threads: Number(threads) });
if (res.lengths.length !== Number(count)) process.exit(1);
compiled.close();
