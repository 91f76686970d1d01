'use strict';
const test = require('ava');
const path = require('path');
const { drbd } = require('../../..');
const { root } = require('../../helpers/env');

const base = `resource r0 {
  net { protocol B; cram-hmac-alg sha256; shared-secret "a b"; ping-int 3; ping-timeout 7; max-buffers 2k; after-sb-0pri discard-node-bravo; }
  disk { resync-rate 10M; al-extents 127; }
  on alpha { device /dev/drbd4; disk /a.img; meta-disk internal; address 10.0.0.1:7788; }
  on bravo { disk none; address ipv6 [fd00::2]:7789; }
}
`;

test('volume options from drbd.conf, with DRBD units', (t) => {
  const config = drbd.parseConfig(base, 'x.conf');
  const alpha = drbd.volumeOptions(config, 'r0', 'alpha');
  t.is(alpha.disk, '/a.img');
  t.deepEqual(alpha.peerAddress, { host: 'fd00::2', port: 7789 });
  t.is(alpha.net.protocol, 'B');
  t.is(alpha.net.sharedSecret, 'a b');
  t.is(alpha.net.pingTimeout, 7);
  t.is(alpha.net.maxBuffers, 2048 * 4096);
  t.is(alpha.net.afterSb0pri, 'discard-node-bravo');
  t.is(alpha.diskOptions.resyncRate, 10 << 20);
  t.is(config.resources[0].hosts[0].minor, 4);
  t.is(drbd.volumeOptions(config, 'r0', 'bravo').disk, null, 'disk none is a diskless node');
  t.throws(() => drbd.volumeOptions(config, 'r0', 'charlie'), { code: 'DRBD_NOT_MY_RESOURCE' });
  t.throws(() => drbd.volumeOptions(config, 'nope', 'alpha'), { code: 'DRBD_NO_RESOURCE' });
});

test('errors carry file:line:col', (t) => {
  const cases = [
    ['resource r0 {\n  on a { disk /x; }\n', /x\.conf:\d+:\d+: missing '}'/],
    ['resource r0 { protocol D; }', /x\.conf:1:15: protocol must be A, B or C/],
    ['resource r0 {\n on a { disk /x; meta-disk internal; address 1.2.3.4:7788; }\n}', /needs exactly two 'on HOST'/],
    ['resource r0 {\n on a { disk /x; meta-disk internal; address 1.2.3.4; }\n on b { disk /x; meta-disk internal; address 1.2.3.4:1; }\n}', /x\.conf:2:38: bad address/],
    ['resource r0 { net { x 1; } on a { bogus 1; } }', /x\.conf:1:35: unknown keyword 'bogus'/],
    ['global { usage-count no }', /missing ';'/],
    ['resource "r0 { }', /unterminated string/],
    ['frobnicate;', /unknown top-level keyword/],
  ];
  for (const [text, message] of cases) {
    const error = t.throws(() => drbd.parseConfig(text, 'x.conf'), { code: 'DRBD_BAD_CONFIG' });
    t.regex(error.message, message);
  }
});

test('property: random token soup never crashes the parser, only ConfigError', (t) => {
  const words = ['resource', 'on', 'net', 'disk', '{', '}', ';', '"q"', 'r0', 'address', '1.2.3.4:1', 'protocol', 'C', 'include', '#c\n', 'syncer', 'rate'];
  let seed = 7;
  const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: Math.floor(r() * 30) }, () => words[Math.floor(r() * words.length)]).join(' ');
    try {
      drbd.parseConfig(text, 'soup.conf', { glob: () => [], readFile: () => '' });
    } catch (error) {
      if (error.code !== 'DRBD_BAD_CONFIG') t.fail(`${error.code}: ${error.message} for ${JSON.stringify(text)}`);
    }
  }
  t.pass();
});

test('the fixtures parse and include files', (t) => {
  const config = drbd.readConfig(path.join(root, 'test/fixtures/drbd/legacy.conf'));
  t.deepEqual(config.resources.map((r) => r.name), ['web', 'data']);
  const data = drbd.volumeOptions(config, 'data', 'node-2');
  t.is(data.disk, '/srv/other.img');
  t.is(data.net.protocol, 'B');
  t.is(data.net.verifyAlg, 'sha256', 'syncer verify-alg moved to net');
  t.is(data.diskOptions.resyncRate, 33 << 20, 'syncer rate became resync-rate');
  t.is(data.net.fencing, 'resource-and-stonith');
});
