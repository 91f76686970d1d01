'use strict';
// A real three-node Corosync + Pacemaker cluster (one network + mount namespace per node, see
// test/labs/pacemaker/cluster.js), started once for this file. Everything is done through
// hakit's API: resources created with patches, status and events from crm_mon, a move with a
// lifetime and its clear, a monitor failure (the Dummy agent's state file removed), a node
// crash and the failover, an epoch conflict between two writers, quorum against corosync-quorumtool.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { needs, requires, root } = require('../../helpers/env');
const { pacemaker: P } = require('../../..');
const { Cluster } = require('../../labs/pacemaker/cluster');

const need = needs(test.serial, [
  requires.root,
  requires.command('corosync', 'corosync'),
  requires.command('pacemakerd', 'pacemaker'),
  requires.command('crm_mon', 'pacemaker-cli-utils'),
  requires.command('nsenter', 'util-linux'),
  requires.command('ip', 'iproute2'),
]);

let cluster;
let agentsRoot;
let live;
let monitor;
const quorumOf = (node) => {
  let out;
  try {
    out = node.exec('corosync-quorumtool', ['-s']);
  } catch (error) {
    out = error.stdout; // exit status 2 when not quorate
  }
  return P.parseQuorumtool(out);
};
const nodeOf = (status, id) => status.resources.find((r) => r.id === id && r.active)?.nodes ?? [];

test.before(async () => {
  if (!require('../../helpers/env').isRoot() || !require('../../helpers/env').hasCommand('pacemakerd')) return;
  // hakit's own agents, installed the way `hakit ocf install` does, visible to every node.
  agentsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-ocf-'));
  P.installAgents({ ocfRoot: agentsRoot, hakit: `${process.execPath} ${path.join(root, 'bin', 'hakit.js')}` });
  cluster = new Cluster({ nodes: 3, ocfProviders: { hakit: path.join(agentsRoot, 'resource.d', 'hakit') } });
  await cluster.start();
  await cluster.waitForDc();
  live = new P.LiveCluster({ prefix: cluster.nodes[0].prefix });
  monitor = live.monitor(500);
});

test.after.always(async () => {
  if (monitor) monitor.close();
  if (cluster) await cluster.stop();
  if (agentsRoot) fs.rmSync(agentsRoot, { recursive: true, force: true });
});

need('quorum: votequorum arithmetic matches corosync-quorumtool with all three nodes', (t) => {
  const tool = quorumOf(cluster.nodes[0]);
  const conf = P.parseCorosyncConf(cluster.nodes[0].exec('cat', ['/etc/corosync/corosync.conf']));
  const ours = P.quorumState({ nodes: conf.nodes.map((n) => ({ nodeid: n.nodeid, member: tool.members.some((m) => m.nodeid === n.nodeid) })), quorum: conf.quorum, allNodesSeenOnce: true });
  t.is(tool.members.length, 3);
  t.is(ours.expectedVotes, tool.expectedVotes);
  t.is(ours.totalVotes, tool.totalVotes);
  t.is(ours.quorum, tool.quorum);
  t.is(ours.quorate, tool.quorate);
});

need('create vip (IPaddr2 in the node namespace) and web, ordered and colocated INFINITY: they start together', async (t) => {
  const vipAddr = cluster.nodes[0].addr.replace(/\.\d+$/, '.100');
  await live.apply(async (cib) => {
    for (const argv of [
      ['property', 'set', 'stonith-enabled=false', 'cluster-recheck-interval=10s'],
      ['resource', 'defaults', 'update', 'resource-stickiness=100', 'migration-threshold=1'],
      ['resource', 'create', 'vip', 'ocf:heartbeat:IPaddr2', `ip=${vipAddr}`, 'cidr_netmask=24', 'nic=eth0', 'op', 'monitor', 'interval=5s', '--no-default-ops'],
      ['resource', 'create', 'web', 'ocf:pacemaker:Dummy', 'op', 'monitor', 'interval=3s', 'timeout=20s', '--no-default-ops'],
      ['constraint', 'order', 'vip', 'then', 'web'],
      ['constraint', 'colocation', 'add', 'web', 'with', 'vip', 'INFINITY'],
    ]) await P.runPcs(cib, argv);
  });
  await live.waitForSettle(60000);
  const started = await monitor.waitForEvent((e) => e.type === 'resource-started' && e.resource === 'web', 30000);
  const status = await live.status();
  t.deepEqual(nodeOf(status, 'web'), nodeOf(status, 'vip'));
  t.is(nodeOf(status, 'web').length, 1);
  t.deepEqual(started.nodes, nodeOf(status, 'web'));
  // The VIP is really configured in the namespace of the node that runs it.
  const owner = cluster.nodes.find((n) => n.name === nodeOf(status, 'vip')[0]);
  t.regex(owner.exec('ip', ['-o', 'addr', 'show', 'dev', 'eth0']), new RegExp(vipAddr.replace(/\./g, '\\.')));
  t.deepEqual(await live.locate('web'), nodeOf(status, 'web'));
});

need('move with a lifetime takes vip (and web with it) to another node; clear removes exactly the move constraint and stickiness keeps it there', async (t) => {
  const before = nodeOf(await live.status(), 'vip')[0];
  const target = cluster.nodes.map((n) => n.name).find((n) => n !== before);
  await live.apply((cib) => P.resourceMove(cib, 'vip', target, { lifetime: 'PT1H' }));
  await live.waitForSettle(60000);
  let status = await live.status();
  t.deepEqual(nodeOf(status, 'vip'), [target]);
  t.deepEqual(nodeOf(status, 'web'), [target]);
  // Seen as one move, or as a stop then a start when the poll fell between them.
  const moved = await monitor.waitForEvent((e) => e.resource === 'web' && ((e.type === 'resource-moved' && e.to[0] === target) || (e.type === 'resource-started' && e.nodes[0] === target)), 20000);
  t.truthy(moved);
  const constraintsBefore = (await live.readCib()).model().constraints.map((c) => c.id);
  t.true(constraintsBefore.includes('cli-prefer-vip'));
  const { result: removed } = await live.apply((cib) => P.resourceClear(cib, 'vip'));
  t.deepEqual(removed, ['cli-prefer-vip']);
  const constraintsAfter = (await live.readCib()).model().constraints.map((c) => c.id);
  t.deepEqual(constraintsAfter, constraintsBefore.filter((id) => id !== 'cli-prefer-vip'));
  await live.waitForSettle(60000);
  status = await live.status();
  t.deepEqual(nodeOf(status, 'vip'), [target], 'resource-stickiness keeps vip where it runs');
});

need('a failed monitor (Dummy state file removed) is seen as a failure event with fail-count, then cleaned up', async (t) => {
  const where = nodeOf(await live.status(), 'web')[0];
  const node = cluster.nodes.find((n) => n.name === where);
  node.exec('rm', ['-f', '/run/Dummy-web.state']);
  const failed = await monitor.waitForEvent((e) => e.type === 'resource-failed' && e.resource === 'web', 30000);
  t.is(failed.task, 'monitor');
  t.is(failed.exitCode, 7);
  t.is(failed.node, where);
  const status = await live.waitFor((s) => s.failCounts.some((f) => f.resource === 'web' && f.failCount >= 1), 20000);
  t.true(status.failures.some((f) => f.resource === 'web' && f.exitStatus === 'not running'));
  await live.waitForSettle(60000);
  // migration-threshold=1: web (and, by the colocation, vip) left the node that failed.
  const after = await live.status();
  t.is(nodeOf(after, 'web').length, 1, JSON.stringify(after.resources));
  t.notDeepEqual(nodeOf(after, 'web'), [where]);
  t.deepEqual(nodeOf(after, 'web'), nodeOf(after, 'vip'));
  await live.cleanup('web');
  await monitor.waitForEvent((e) => e.type === 'failure-cleared' && e.resource === 'web', 30000);
  t.false((await live.status()).failures.some((f) => f.resource === 'web'));
});

need('ocf:hakit:service runs `hakit pcs exporter` as a cluster resource; its metrics describe the live cluster', async (t) => {
  // Through the CLI (`hakit pcs` without -f: a live patch), from inside node n1.
  const cli = (...args) => cluster.nodes[0].exec(process.execPath, [path.join(root, 'bin', 'hakit.js'), 'pcs', ...args]);
  // The seed's example with a hakit web service: VIP first, then the service, colocated INFINITY.
  cli('resource', 'create', 'exporter', 'ocf:hakit:service', 'command=pcs', 'args=exporter --port 9664 --host 0.0.0.0', 'op', 'monitor', 'interval=5s', '--no-default-ops');
  cli('constraint', 'order', 'vip', 'then', 'exporter');
  cli('constraint', 'colocation', 'add', 'exporter', 'with', 'vip', 'INFINITY');
  await live.waitForSettle(60000);
  const status = await live.waitFor((s) => nodeOf(s, 'exporter').length === 1, 30000);
  t.deepEqual(nodeOf(status, 'exporter'), nodeOf(status, 'vip'));
  const where = cluster.nodes.find((n) => n.name === nodeOf(status, 'exporter')[0]);
  const vipAddr = cluster.nodes[0].addr.replace(/\.\d+$/, '.100');
  // Scraped through the VIP, from another node.
  const scrape = `fetch('http://${vipAddr}:9664/metrics').then((r) => r.text()).then((x) => process.stdout.write(x))`;
  let text = '';
  for (let i = 0; i < 20 && !text.includes('ha_cluster_pacemaker_nodes_total'); i++) {
    try {
      text = cluster.nodes.find((n) => n !== where).exec(process.execPath, ['-e', scrape]);
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  t.regex(text, /ha_cluster_pacemaker_nodes_total 3\n/);
  t.regex(text, new RegExp(`ha_cluster_pacemaker_resources\\{agent="ocf:hakit:service",clone="",group="",id="exporter",managed="true",node="${where.name}",role="started",status="active"\\} 1`));
  t.regex(text, /ha_cluster_pacemaker_stonith_enabled 0\n/);
  // `hakit pcs status --json` agrees.
  const json = JSON.parse(cli('status', '--json'));
  t.deepEqual(json.resources.find((r) => r.id === 'exporter').nodes, [where.name]);
  cli('resource', 'delete', 'exporter');
  await live.waitForSettle(60000);
  t.false((await live.status()).resources.some((r) => r.id === 'exporter'));
  t.false((await live.readCib()).model().constraints.some((c) => c.id.includes('exporter')), 'delete removed its constraints');
});

need('two writers: a patch made from a stale CIB is refused (PCMK_CIB_CONFLICT), a fresh one applies', async (t) => {
  const stale = await live.readCib();
  const staleXml = stale.toXml();
  await live.apply((cib) => P.resourceMeta(cib, 'web', { description: 'first-writer' }));
  const edited = stale.clone();
  P.resourceMeta(edited, 'web', { 'failure-timeout': '60s' });
  edited.bumpEpoch();
  const error = await t.throwsAsync(live.patch(staleXml, edited.toXml()));
  t.is(error.code, 'PCMK_CIB_CONFLICT');
  // A whole-CIB replace from the stale copy is refused the same way.
  t.is((await t.throwsAsync(live.replace(edited))).code, 'PCMK_CIB_CONFLICT');
  const { patched } = await live.apply((cib) => P.resourceMeta(cib, 'web', { 'failure-timeout': '60s' }));
  t.true(patched);
  const meta = (await live.readCib()).model().resources.find((r) => r.id === 'web').meta;
  t.is(meta.description, 'first-writer');
  t.is(meta['failure-timeout'], '60s');
});

need('standby drains a node and unstandby keeps resources where they are; move (pcs 0.11 style) leaves no constraint behind', async (t) => {
  const where = nodeOf(await live.status(), 'web')[0];
  await live.apply((cib) => P.nodeStandby(cib, where));
  await live.waitForSettle(60000);
  let status = await live.status();
  t.true(status.nodes.find((n) => n.name === where).standby);
  t.not(nodeOf(status, 'web')[0], where);
  t.deepEqual(nodeOf(status, 'web'), nodeOf(status, 'vip'));
  await live.apply((cib) => P.nodeStandby(cib, where, false));
  await live.waitForSettle(60000);
  status = await live.status();
  t.false(status.nodes.find((n) => n.name === where).standby);
  const now = nodeOf(status, 'vip')[0];
  t.not(now, where, 'stickiness: nothing moves back');
  const before = (await live.readCib()).model().constraints.map((c) => c.id).sort();
  await live.move('vip', where);
  status = await live.status();
  t.deepEqual(nodeOf(status, 'vip'), [where]);
  t.deepEqual(nodeOf(status, 'web'), [where]);
  t.deepEqual((await live.readCib()).model().constraints.map((c) => c.id).sort(), before);
});

need('crash the node running web: the others see it offline, keep quorum (2 of 3) and fail web and vip over', async (t) => {
  const where = nodeOf(await live.status(), 'web')[0];
  const victim = cluster.nodes.find((n) => n.name === where);
  const survivor = cluster.nodes.find((n) => n !== victim);
  const watcher = new P.LiveCluster({ prefix: survivor.prefix });
  await victim.crash();
  const status = await watcher.waitFor((s) => !s.nodes.find((n) => n.name === where).online && nodeOf(s, 'web').length === 1 && nodeOf(s, 'vip').length === 1 && nodeOf(s, 'web')[0] !== where, 60000);
  t.true(status.quorum);
  t.deepEqual(nodeOf(status, 'web'), nodeOf(status, 'vip'));
  const tool = quorumOf(survivor);
  const conf = P.parseCorosyncConf(survivor.exec('cat', ['/etc/corosync/corosync.conf']));
  const ours = P.quorumState({ nodes: conf.nodes.map((n) => ({ nodeid: n.nodeid, member: tool.members.some((m) => m.nodeid === n.nodeid) })), quorum: conf.quorum, allNodesSeenOnce: true });
  t.is(tool.totalVotes, 2);
  t.deepEqual([ours.totalVotes, ours.quorum, ours.quorate], [tool.totalVotes, tool.quorum, tool.quorate]);
});
