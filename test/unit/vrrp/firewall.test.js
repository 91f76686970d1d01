'use strict';
// no_accept: the nftables batches hakit hands to nft, checked with a stand-in nft command.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { vrrp } = require('../../..');

function fakeNft(t, fail) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hkv-nft-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'log');
  fs.writeFileSync(log, '');
  process.env.FAKE_NFT_LOG = log;
  if (fail) process.env.FAKE_NFT_FAIL = fail;
  else delete process.env.FAKE_NFT_FAIL;
  const batches = () => fs.readFileSync(log, 'utf8').split('---\n').filter(Boolean);
  return { nft: [process.execPath, path.join(__dirname, 'fake-nft.js')], batches };
}

test.serial('the first drop creates both tables as keepalived lays them out, then adds the elements; accept removes them', async (t) => {
  const { nft, batches } = fakeNft(t);
  const fw = new vrrp.NftFirewall({ nft, table: 'hk_test' });
  await fw.drop(['192.0.2.100', '2001:db8::0100']);
  let b = batches();
  t.is(b.length, 1);
  t.regex(b[0], /delete table ip hk_test\n/, 'a table left by a killed run is replaced');
  t.regex(b[0], /table ip hk_test \{\n  set vips \{ type ipv4_addr; \}/);
  t.regex(b[0], /chain in \{ type filter hook input priority filter - 1; policy accept; ip daddr @vips drop; \}/);
  t.regex(b[0], /chain out \{ type filter hook output priority filter - 1; policy accept; ip saddr @vips drop; \}/);
  t.regex(b[0], /chain in \{ type filter hook input priority filter - 1; policy accept; ip6 daddr @vips drop; \}/);
  t.regex(b[0], /add element ip hk_test vips \{ 192\.0\.2\.100 \}\n/);
  t.regex(b[0], /add element ip6 hk_test vips \{ 2001:db8::100 \}\n/);
  t.deepEqual(fw.dropped().sort(), ['192.0.2.100', '2001:db8::100']);
  await fw.accept(['192.0.2.100', '2001:db8::100']);
  b = batches();
  t.is(b.length, 2);
  t.is(b[1], 'delete element ip hk_test vips { 192.0.2.100 }\ndelete element ip6 hk_test vips { 2001:db8::100 }\n', 'no table re-creation');
  await fw.close();
  t.is(batches()[2], 'delete table ip hk_test\ndelete table ip6 hk_test\n');
});

test.serial('an address two masters share is dropped until both leave; unknown accepts are no-ops', async (t) => {
  const { nft, batches } = fakeNft(t);
  const fw = new vrrp.NftFirewall({ nft });
  await fw.drop(['192.0.2.100', '192.0.2.200']);
  await fw.drop(['192.0.2.100']);
  t.is(batches().length, 1, 'already dropped: no batch');
  await fw.accept(['192.0.2.100']);
  t.is(batches().length, 1, 'still held by the other instance');
  await fw.accept(['192.0.2.100', '192.0.2.9']);
  t.is(batches()[1], 'delete element ip hakit vips { 192.0.2.100 }\n');
  t.deepEqual(fw.dropped(), ['192.0.2.200']);
});

test.serial('nft failures are typed errors and do not block later changes; a missing nft says what to install', async (t) => {
  const { nft, batches } = fakeNft(t, '192.0.2.66');
  const fw = new vrrp.NftFirewall({ nft });
  const error = await t.throwsAsync(fw.drop(['192.0.2.66']));
  t.is(error.code, 'VRRP_NFT');
  t.regex(error.message, /No such file or directory/);
  await fw.drop(['192.0.2.77']);
  t.regex(batches().at(-1), /add element ip hakit vips \{ 192\.0\.2\.77 \}/);
  const missing = new vrrp.NftFirewall({ nft: ['/nonexistent/nft'] });
  t.is((await t.throwsAsync(missing.drop(['192.0.2.1']))).code, 'VRRP_NO_NFT');
  t.throws(() => new vrrp.NftFirewall({ table: 'x; flush ruleset' }), { code: 'VRRP_BAD_CONFIG' });
});
