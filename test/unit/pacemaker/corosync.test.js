'use strict';
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { pacemaker: P } = require('../../..');

const fixture = (name) => fs.readFileSync(path.join(__dirname, '../../fixtures/pacemaker', name), 'utf8');

test('parses the corosync.conf a live 2-node cluster ran with', (t) => {
  const conf = P.parseCorosyncConf(fixture('corosync-2node.conf'));
  t.is(conf.clusterName, 'hakit');
  t.is(conf.transport, 'knet');
  t.is(conf.totem.token, '1000');
  t.deepEqual(conf.nodes.map((n) => [n.nodeid, n.name, n.addrs.length]), [[1, 'n1', 1], [2, 'n2', 1]]);
  t.like(conf.quorum, { provider: 'corosync_votequorum', twoNode: true });
  t.is(conf.logging.to_stderr, 'yes');
});

test('generate → parse round trip with every votequorum option, and generated text is stable', (t) => {
  const input = {
    clusterName: 'c1',
    nodes: [{ nodeid: 1, name: 'a', addrs: ['10.0.0.1', '10.1.0.1'], votes: undefined }, { nodeid: 2, name: 'b', addrs: ['10.0.0.2', '10.1.0.2'], votes: 2 }, { nodeid: 3, name: 'c', addrs: ['10.0.0.3', '10.1.0.3'], votes: undefined }],
    quorum: { provider: 'corosync_votequorum', expectedVotes: 4, waitForAll: true, lastManStanding: true, lastManStandingWindow: 20000, autoTieBreaker: true, autoTieBreakerNode: 'lowest' },
    other: [{ name: 'system', items: [{ key: 'move_to_root_cgroup', value: 'no' }] }],
  };
  const text = P.generateCorosyncConf(input);
  t.regex(text, /^totem \{\n {4}version: 2\n/);
  t.notRegex(text, /\{[^\n]/, 'every opening brace ends its line');
  const conf = P.parseCorosyncConf(text);
  t.deepEqual(conf.nodes, input.nodes);
  t.deepEqual(conf.quorum, { ...input.quorum, twoNode: undefined });
  t.deepEqual(conf.other, input.other);
  t.is(P.generateCorosyncConf(conf), text);
});

test('syntax pitfalls are errors with the line, as corosync reports them', (t) => {
  const e1 = t.throws(() => P.parseCorosyncConf('totem {\n  version: 2\n}\nnodelist {\n  node { ring0_addr: 127.0.0.1 }\n}\n'));
  t.is(e1.code, 'COROSYNC_CONF');
  t.regex(e1.message, /line 5: Extra characters after opening bracket/);
  t.is(t.throws(() => P.parseCorosyncConf('totem {\n version: 2\n')).code, 'COROSYNC_CONF');
  t.regex(t.throws(() => P.parseCorosyncConf('}\n')).message, /line 1: Unexpected closing brace/);
  t.regex(t.throws(() => P.parseCorosyncConf('totem {\n version 2\n}\n')).message, /line 2: expected 'key: value'/);
  t.regex(t.throws(() => P.parseCorosyncConf('nodelist {\n node {\n ring0_addr: x\n }\n}\n')).message, /no nodeid/);
  t.regex(t.throws(() => P.parseCorosyncConf('quorum {\n expected_votes: many\n}\n')).message, /expected_votes must be a non-negative integer/);
  t.is(t.throws(() => P.generateCorosyncConf({ clusterName: 'x', nodes: [{ nodeid: 1, addrs: ['a'] }, { nodeid: 1, addrs: ['b'] }] })).code, 'COROSYNC_CONF');
  t.is(t.throws(() => P.generateCorosyncConf({ clusterName: 'x', nodes: [] })).code, 'COROSYNC_CONF');
  // Comments and blank lines are fine.
  t.is(P.parseCorosyncConf('# c\n\ntotem {\n  # inner\n  cluster_name: x\n}\n').clusterName, 'x');
});

const q = (members, quorum, extra = {}) => P.quorumState({ nodes: members.map((m, i) => ({ nodeid: i + 1, member: m, votes: extra.votes?.[i] })), quorum: { provider: 'corosync_votequorum', ...quorum }, allNodesSeenOnce: extra.seen ?? true, lastManStandingExpected: extra.lms });

test('quorum arithmetic: majority, two_node, wait_for_all, auto_tie_breaker, last_man_standing, votes', (t) => {
  t.like(q([true, true, true], {}), { expectedVotes: 3, totalVotes: 3, quorum: 2, quorate: true });
  t.like(q([true, true, false], {}), { totalVotes: 2, quorum: 2, quorate: true });
  t.like(q([true, false, false], {}), { totalVotes: 1, quorate: false });
  t.like(q([true, true, false, false], {}), { quorum: 3, quorate: false }, 'an exact half is not a majority');
  t.like(q([true, false], { twoNode: true }), { quorum: 1, quorate: true });
  t.deepEqual(q([true, true], { twoNode: true }).flags, ['Quorate', '2Node', 'WaitForAll'], 'two_node implies wait_for_all');
  t.like(q([true, true], { twoNode: true }, { seen: false }), { quorate: false }, 'wait_for_all blocks until all were seen');
  t.like(q([true, true, true], { waitForAll: true }, { seen: false }), { quorate: false });
  t.like(q([true, true, false, false], { autoTieBreaker: true }), { quorate: true }, 'the half holding the lowest node id wins');
  t.like(q([false, false, true, true], { autoTieBreaker: true }), { quorate: false });
  t.like(q([false, false, true, true], { autoTieBreaker: true, autoTieBreakerNode: '3 1' }), { quorate: true });
  t.like(q([false, false, true, true], { autoTieBreaker: true, autoTieBreakerNode: 'highest' }), { quorate: true });
  t.like(q([true, false, false, false, false], { lastManStanding: true }, { lms: 2 }), { expectedVotes: 2, quorum: 2, quorate: false });
  t.like(q([true, true, false, false, false], { lastManStanding: true }, { lms: 2 }), { quorum: 2, quorate: true });
  t.like(q([true, false, false], { expectedVotes: 5 }, { votes: [3, 1, 1] }), { expectedVotes: 5, totalVotes: 3, quorum: 3, quorate: true });
  t.like(q([true, true, true], { twoNode: true }), { quorum: 2 }, 'two_node only applies with exactly two nodes');
});

test('corosync-quorumtool output parses and agrees with the arithmetic (2-node capture)', (t) => {
  const tool = P.parseQuorumtool(fixture('quorumtool-2node.txt'));
  t.like(tool, { quorate: true, expectedVotes: 2, highestExpected: 2, totalVotes: 2, quorum: 1 });
  t.deepEqual(tool.members, [{ nodeid: 1, votes: 1, name: 'n1' }, { nodeid: 2, votes: 1, name: 'n2' }]);
  const conf = P.parseCorosyncConf(fixture('corosync-2node.conf'));
  const ours = P.quorumState({ nodes: conf.nodes.map((n) => ({ nodeid: n.nodeid, member: true })), quorum: conf.quorum, allNodesSeenOnce: true });
  t.deepEqual([ours.expectedVotes, ours.totalVotes, ours.quorum, ours.quorate], [tool.expectedVotes, tool.totalVotes, tool.quorum, tool.quorate]);
  t.deepEqual([...ours.flags].sort(), [...tool.flags].sort());
});
