'use strict';
// The native socket against this machine's kernel: NETLINK_ROUTE and nlctrl answer without
// root, so sequence numbers, batching, dumps, acks and errno mapping are checked for real.
const test = require('ava');
const { netlink } = require('../../..');

const RTM_GETLINK = 18;
const IFLA_IFNAME = 3;
const link = netlink.defineSchema({ name: { type: IFLA_IFNAME, kind: 'string' } });

function getLink(index) {
  // struct ifinfomsg: family u8, pad u8, type u16, index s32, flags u32, change u32
  const header = Buffer.alloc(16);
  header.writeInt32LE(index, 4);
  return { type: RTM_GETLINK, flags: 0, payload: header, describe: () => `RTM_GETLINK ${index}` };
}

test('a route dump returns the loopback link', async (t) => {
  const socket = new netlink.NetlinkSocket(netlink.protocols.route);
  try {
    const messages = await socket.dump(getLink(0));
    const names = messages.map((m) => netlink.decodeAttributes(link, m.payload, 16).name);
    t.true(names.includes('lo'), names.join(','));
    t.true(socket.portId > 0);
  } finally {
    socket.close();
  }
});

test('a batch of 300 requests in few sends, each answered, one refused with a typed errno', async (t) => {
  const socket = new netlink.NetlinkSocket(netlink.protocols.route, { windowBytes: 4096 });
  try {
    const requests = Array.from({ length: 300 }, () => getLink(1));
    requests[150] = getLink(0x7ffffff0);
    const replies = await socket.exchange(requests);
    t.is(replies.length, 300);
    t.is(replies[0].messages.length, 1);
    t.is(netlink.decodeAttributes(link, replies[299].messages[0].payload, 16).name, 'lo');
    const failed = replies[150].error;
    t.is(failed.code, 'NETLINK_ENODEV');
    t.is(failed.errno, 19);
    t.is(failed.details.request.what, `RTM_GETLINK ${0x7ffffff0}`);
    t.is(replies.filter((r) => r.error).length, 1);
    t.true(new Set(replies.map((r) => r.seq)).size === 300, 'distinct sequence numbers');
    t.true(socket.stats.sends > 1 && socket.stats.sends < 300, `sends=${socket.stats.sends}`);
    await t.throwsAsync(socket.request(getLink(0x7ffffff0)), { code: 'NETLINK_ENODEV', instanceOf: netlink.NetlinkError });
  } finally {
    socket.close();
  }
});

test('concurrent exchanges on one socket are queued, not mixed', async (t) => {
  const socket = new netlink.NetlinkSocket(netlink.protocols.route);
  try {
    const all = await Promise.all([socket.exchange([getLink(1)]), socket.dump(getLink(0)), socket.exchange([getLink(1), getLink(1)])]);
    t.is(all[0].length, 1);
    t.true(all[1].length >= 1);
    t.is(all[2].length, 2);
  } finally {
    socket.close();
  }
});

test('nlctrl resolves nlctrl itself; a missing family is NETLINK_FAMILY_NOT_FOUND', async (t) => {
  const genl = await netlink.GenericNetlink.open('nlctrl');
  try {
    t.is(genl.family.id, netlink.GENL_ID_CTRL);
    t.is(genl.family.name, 'nlctrl');
    t.true('notify' in genl.family.multicastGroups);
  } finally {
    genl.close();
  }
  await t.throwsAsync(netlink.GenericNetlink.open('nosuchfamily'), { code: 'NETLINK_FAMILY_NOT_FOUND' });
});

test('closed sockets and bad requests fail with codes', async (t) => {
  const socket = new netlink.NetlinkSocket(netlink.protocols.route);
  socket.close();
  await t.throwsAsync(socket.exchange([getLink(1)]), { code: 'NETLINK_CLOSED' });
  t.throws(() => new netlink.NetlinkSocket(99), { code: 'ERR_INVALID_ARG' });
});

test('error payloads: plain, capped with extended-ack message', (t) => {
  const payload = Buffer.alloc(4 + 16 + 12);
  payload.writeInt32LE(-17, 0);
  payload.writeUInt32LE(16, 4);
  payload.writeUInt16LE(10, 20);
  payload.writeUInt16LE(netlink.NLMSGERR_ATTR_MSG, 22);
  payload.write('dup\0', 24);
  const message = { type: netlink.NLMSG_ERROR, flags: netlink.NLM_F_CAPPED | netlink.NLM_F_ACK_TLVS, seq: 1, pid: 0, payload };
  t.deepEqual(netlink.readErrorPayload(message), { errno: 17, message: 'dup' });
  t.deepEqual(netlink.readErrorPayload({ ...message, flags: 0 }), { errno: 17 });
  const error = new netlink.NetlinkError(17, { type: 1, flags: 0, seq: 3, what: 'X' }, 'dup');
  t.is(error.code, 'NETLINK_EEXIST');
  t.regex(error.message, /X: file exists \(EEXIST\) \(dup\)/);
});

test('message framing: encode then split', (t) => {
  const a = netlink.encodeMessage(20, netlink.NLM_F_REQUEST, 7, Buffer.from([1, 2, 3]));
  const b = netlink.encodeMessage(21, 0, 8, Buffer.alloc(0));
  const [x, y] = netlink.splitMessages(Buffer.concat([a, b]));
  t.deepEqual([x.type, x.seq, [...x.payload]], [20, 7, [1, 2, 3]]);
  t.deepEqual([y.type, y.seq, y.payload.length], [21, 8, 0]);
  t.throws(() => netlink.splitMessages(Buffer.from('ff000000', 'hex')), { code: 'NETLINK_MALFORMED' });
});

test('one ack per window (default) and one ack per request give the same replies, refusals where they were', async (t) => {
  // failures first, consecutive, at window edges and last: with one ack per window only the
  // window's last request asks for an ack, and a refusal must still land on its own request
  const bad = new Set([0, 1, 2, 40, 41, 99, 100, 101, 150, 239]);
  const requests = Array.from({ length: 240 }, (_, i) => getLink(bad.has(i) ? 0x7ffffff0 - i : 1));
  const outcome = async (options) => {
    const socket = new netlink.NetlinkSocket(netlink.protocols.route, { windowBytes: 1024, ...options });
    try {
      const replies = await socket.exchange(requests);
      return { errors: replies.map((r, i) => (r.error ? `${i}:${r.error.code}:${r.error.details.request.what}` : '')).filter(Boolean), data: replies.map((r) => r.messages.length), sends: socket.stats.sends };
    } finally {
      socket.close();
    }
  };
  const perWindow = await outcome({});
  const perRequest = await outcome({ ackEveryRequest: true });
  t.deepEqual(perWindow.errors, [...bad].map((i) => `${i}:NETLINK_ENODEV:RTM_GETLINK ${0x7ffffff0 - i}`));
  t.deepEqual(perWindow, perRequest);
  t.true(perWindow.sends > 5, `sends=${perWindow.sends}`);
  t.throws(() => new netlink.NetlinkSocket(netlink.protocols.route, { ackEveryRequest: 'yes' }), { code: 'ERR_INVALID_ARG' });
});
