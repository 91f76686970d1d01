'use strict';
const test = require('ava');
const { lb } = require('../../..');

test('agent replies: every word HAProxy defines, and combinations', (t) => {
  const p = lb.parseAgentReply;
  t.deepEqual(p('up\n'), { health: 'up', unknown: [] });
  t.deepEqual(p('75%'), { weightPercent: 75, unknown: [] });
  t.deepEqual(p('DRAIN'), { admin: 'drain', unknown: [] });
  t.deepEqual(p('maint'), { admin: 'maint', unknown: [] });
  t.deepEqual(p('ready,100%'), { admin: 'ready', weightPercent: 100, unknown: [] });
  t.deepEqual(p('failed #no db'), { health: 'down', description: 'no db', unknown: [] });
  t.deepEqual(p('stopped'), { health: 'down', unknown: [] });
  t.deepEqual(p('up\t80%  maxconn:30 drain\r\nignored second line'), { health: 'up', weightPercent: 80, maxConnections: 30, admin: 'drain', unknown: [] });
  t.deepEqual(p('up banana'), { health: 'up', unknown: ['banana'] });
  t.deepEqual(p(Buffer.from('down\n')), { health: 'down', unknown: [] });
  t.is(p('999%').weightPercent, 256);
});

test('agent replies without meaning are typed errors', (t) => {
  for (const bad of ['', '\n', 'banana', '#only a comment', '%', 'maxconn:', '12', 'x'.repeat(2000)]) {
    const e = t.throws(() => lb.parseAgentReply(bad), undefined, bad);
    t.is(e.code, 'LB_AGENT_REPLY');
  }
});

test('property: random bytes never crash the parser (typed error or a reply)', (t) => {
  const rand = lb.xorshift32(12345);
  const alphabet = 'updownfaildstoprymaintrea%0123456789:#, \t\r\nx\u00ff';
  for (let i = 0; i < 20000; i++) {
    const len = Math.floor(rand() * 40);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
    try {
      const r = lb.parseAgentReply(i % 2 ? s : Buffer.from(s, 'latin1'));
      t.true(Array.isArray(r.unknown));
      if (r.weightPercent !== undefined) t.true(r.weightPercent >= 0 && r.weightPercent <= 256);
      if (r.health !== undefined) t.true(r.health === 'up' || r.health === 'down');
    } catch (e) {
      t.is(e.code, 'LB_AGENT_REPLY');
    }
  }
});
