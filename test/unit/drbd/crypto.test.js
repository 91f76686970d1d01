'use strict';
const test = require('ava');
const crypto = require('crypto');
const { nativeModule } = require('../../../dist/native');

const native = nativeModule('drbd');

test('HMAC-SHA256 matches node:crypto for keys and messages of many sizes', (t) => {
  for (const keyLength of [0, 1, 31, 32, 63, 64, 65, 200]) {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 1000, 4096]) {
      const key = crypto.randomBytes(keyLength);
      const data = crypto.randomBytes(length);
      t.deepEqual(native.hmacSha256(key, data), crypto.createHmac('sha256', key).update(data).digest(), `key ${keyLength} data ${length}`);
    }
  }
});

test('CRC-32C known answers (RFC 3720 B.4)', (t) => {
  t.is(native.crc32c(Buffer.from('123456789')), 0xe3069283);
  t.is(native.crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  t.is(native.crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  t.is(native.crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
});
