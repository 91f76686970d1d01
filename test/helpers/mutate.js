'use strict';
// Seeded mutation of a valid input, for property tests of parsers: every mutant must either
// parse or be refused with a typed error (an Error with a string `code`), never crash with a
// TypeError/RangeError, and never hang.

/** A small deterministic PRNG (LCG), so a failure names a seed and replays. */
function prng(seed) {
  let state = seed >>> 0 || 1;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}

/**
 * Yields `count` mutants of `text`: characters deleted, inserted or replaced from `alphabet`,
 * lines dropped, duplicated or swapped, the text truncated.
 */
function* mutants(text, { count = 1000, seed = 1, alphabet = ['{', '}', ' ', '\n', '"', '#', '=', ';', '-', '0', '9', 'x', '/', ':', '.', '\\'] } = {}) {
  const rand = prng(seed);
  for (let i = 0; i < count; i++) {
    let chars = text.split('');
    const edits = 1 + rand(4);
    for (let e = 0; e < edits; e++) {
      const op = rand(7);
      const at = rand(chars.length + 1);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)]);
      else if (op === 2) chars[at] = alphabet[rand(alphabet.length)];
      else if (op === 3) chars = chars.slice(0, at);
      else {
        const lines = chars.join('').split('\n');
        const a = rand(lines.length);
        const b = rand(lines.length);
        if (op === 4) lines.splice(a, 1);
        else if (op === 5) lines.splice(a, 0, lines[b]);
        else [lines[a], lines[b]] = [lines[b], lines[a]];
        chars = lines.join('\n').split('');
      }
    }
    yield { index: i, input: chars.join('') };
  }
}

/**
 * Runs parse on every mutant; returns the failures (untyped errors or slow inputs) as strings.
 * A parse slower than `slowMs` counts as a hang.
 */
function checkMutants(text, parse, options = {}) {
  const failures = [];
  let parsed = 0;
  let refused = 0;
  for (const { index, input } of mutants(text, options)) {
    const started = process.hrtime.bigint();
    try {
      parse(input);
      parsed++;
    } catch (error) {
      if (!(error instanceof Error) || typeof error.code !== 'string' || error instanceof TypeError || error instanceof RangeError) {
        failures.push(`mutant ${index} (seed ${options.seed ?? 1}): untyped ${error && error.stack ? error.stack.split('\n').slice(0, 3).join(' | ') : String(error)}\n${JSON.stringify(input).slice(0, 300)}`);
      } else refused++;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (ms > (options.slowMs ?? 2000)) failures.push(`mutant ${index}: took ${ms.toFixed(0)} ms`);
  }
  return { failures, parsed, refused };
}

module.exports = { prng, mutants, checkMutants };
