'use strict';
// crm_mon / crm_simulate / crm_verify output captured from the real tools (test/fixtures), parsed.
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { pacemaker: P } = require('../../..');

const fixture = (name) => fs.readFileSync(path.join(__dirname, '../../fixtures/pacemaker', name), 'utf8');

test('crm_mon XML: nodes, DC, quorum, resources in groups/clones with roles, failures and fail counts', (t) => {
  const s = P.parseCrmMon(fixture('crm_mon-2node.xml'));
  t.is(s.dc, 'n2');
  t.true(s.quorum);
  t.is(s.stack, 'corosync');
  t.like(s.nodes.find((n) => n.name === 'n2'), { online: true, standby: true, isDc: true, expectedUp: true });
  t.like(s.nodes.find((n) => n.name === 'n1'), { online: true, standby: false, resourcesRunning: 3 });
  t.like(s.resources.find((r) => r.id === 'web'), { role: 'Started', active: true, nodes: ['n1'], agent: 'ocf:pacemaker:Dummy' });
  const st = s.resources.filter((r) => r.id === 'st');
  t.deepEqual(st.map((r) => [r.role, r.nodes, r.parent]), [['Promoted', ['n1'], 'st-clone'], ['Stopped', [], 'st-clone']]);
  t.is(s.resources.find((r) => r.id === 'g1').parent, 'grp');
  t.like(s.failures[0], { resource: 'web', node: 'n1', task: 'monitor', intervalMs: 3000, exitCode: 7, exitStatus: 'not running' });
  t.like(s.failCounts.find((f) => f.resource === 'web'), { node: 'n1', failCount: 1, migrationThreshold: 1000000 });
  t.is(s.clusterOptions['stonith-enabled'], 'false');
  t.true(s.lastChangeMs > Date.parse('2026-01-01'));
});

test('crm_mon errors are typed', (t) => {
  t.is(t.throws(() => P.parseCrmMon('<pacemaker-result><status code="102" message="Not connected"/></pacemaker-result>')).code, 'PCMK_NOT_CONNECTED');
  t.is(t.throws(() => P.parseCrmMon('<html/>')).code, 'PCMK_BAD_STATUS');
  t.is(t.throws(() => P.parseCrmMon('<pacemaker-result')).code, 'PCMK_XML_PARSE');
});

test('status differences become events: start, move, promote, node loss, DC change, failure and its cleanup', (t) => {
  const s1 = P.parseCrmMon(fixture('crm_mon-2node.xml'));
  const first = P.diffStatus(undefined, s1);
  t.true(first.some((e) => e.type === 'resource-started' && e.resource === 'web'));
  t.true(first.some((e) => e.type === 'resource-failed' && e.resource === 'web' && e.exitCode === 7));
  t.deepEqual(P.diffStatus(s1, s1), []);
  const s2 = JSON.parse(JSON.stringify(s1));
  s2.resources.find((r) => r.id === 'web').nodes = ['n2'];
  s2.resources.find((r) => r.id === 'st' && r.role === 'Promoted').role = 'Unpromoted';
  s2.nodes.find((n) => n.name === 'n2').online = false;
  s2.dc = 'n1';
  s2.quorum = false;
  s2.failures = [];
  const events = P.diffStatus(s1, s2);
  t.deepEqual(events.find((e) => e.type === 'resource-moved'), { type: 'resource-moved', resource: 'web', from: ['n1'], to: ['n2'] });
  t.like(events.find((e) => e.type === 'resource-role'), { resource: 'st', from: 'Promoted', to: 'Unpromoted' });
  t.deepEqual(events.find((e) => e.type === 'node-offline'), { type: 'node-offline', node: 'n2' });
  t.deepEqual(events.find((e) => e.type === 'dc-changed'), { type: 'dc-changed', from: 'n2', to: 'n1' });
  t.deepEqual(events.find((e) => e.type === 'quorum-changed'), { type: 'quorum-changed', quorate: false });
  t.like(events.find((e) => e.type === 'failure-cleared'), { resource: 'web', node: 'n1' });
});

test('Prometheus metrics with ha_cluster_exporter names and labels', (t) => {
  const status = P.parseCrmMon(fixture('crm_mon-2node.xml'));
  const quorum = P.parseQuorumtool(fixture('quorumtool-2node.txt'));
  const cib = P.Cib.parse(fixture('cib-live.xml')).model();
  const text = P.clusterMetrics({ status, quorum, cib });
  for (const line of [
    'ha_cluster_pacemaker_nodes{name="n2",status="dc",type="member"} 1',
    'ha_cluster_pacemaker_nodes{name="n2",status="standby",type="member"} 1',
    'ha_cluster_pacemaker_nodes_total 2',
    'ha_cluster_pacemaker_fail_count{node="n1",resource="web"} 1',
    'ha_cluster_pacemaker_migration_threshold{node="n1",resource="web"} +Inf',
    'ha_cluster_pacemaker_stonith_enabled 0',
    'ha_cluster_corosync_quorate 1',
    'ha_cluster_corosync_quorum_votes{type="quorum"} 1',
    'ha_cluster_corosync_member_votes{node="n1",node_id="1"} 1',
    '# TYPE ha_cluster_pacemaker_resources gauge',
  ]) t.true(text.includes(line + '\n'), line);
  t.regex(text, /ha_cluster_pacemaker_resources\{agent="ocf:pacemaker:Stateful",clone="st-clone",group="",id="st",managed="true",node="n1",role="promoted",status="active"\} 1/);
  t.regex(text, /ha_cluster_pacemaker_config_last_change \d{10}\n/);
  // Every sample line is name{labels} value.
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) t.regex(line, /^[a-z_]+(\{[^}]*\})? (-?\d+(\.\d+)?|[+-]Inf)$/);
});

test('exporter serves /metrics over HTTP and 503 when collection fails', async (t) => {
  const status = P.parseCrmMon(fixture('crm_mon-2node.xml'));
  let fail = false;
  const server = await P.serveMetrics(async () => {
    if (fail) throw new Error('crm_mon not reachable');
    return { status };
  });
  try {
    const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    t.is(ok.status, 200);
    t.regex(await ok.text(), /ha_cluster_pacemaker_nodes_total 2/);
    fail = true;
    const bad = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    t.is(bad.status, 503);
    t.is((await fetch(`http://127.0.0.1:${server.port}/`)).status, 404);
  } finally {
    server.close();
  }
});

test('crm_simulate XML: placements, allocation scores and the transition', (t) => {
  const sim = P.parseSimulation(fixture('crm_simulate-seed.xml'));
  t.deepEqual(sim.placement, { vip: ['n2'], web: ['n2'] });
  t.deepEqual(sim.nodesOnline, ['n1', 'n2', 'n3']);
  t.like(sim.scores.find((s) => s.resource === 'vip' && s.node === 'n2'), { score: '50', value: 50 });
  t.like(sim.scores.find((s) => s.resource === 'web' && s.node === 'n1'), { score: '-INFINITY', value: -1000000 });
  t.deepEqual(sim.actions.map((a) => `${a.action} ${a.resource} ${a.node}`).sort(), ['start vip n2', 'start web n2']);
  t.true(sim.transition.some((a) => a.action === 'monitor' && a.resource === 'web' && a.intervalMs === 60000));
  t.deepEqual(sim.before.map((p) => p.role), ['Stopped', 'Stopped']);
  t.is(t.throws(() => P.parseSimulation('<pacemaker-result><status code="64" message="Usage"/></pacemaker-result>')).code, 'PCMK_SIMULATE');
});

test('crm_verify text becomes typed diagnostics', (t) => {
  const d = P.parseVerifyOutput(fixture('crm_verify-nostonith.txt'));
  t.true(d.length >= 2);
  t.like(d[0], { severity: 'error', source: 'unpack_resources' });
  t.regex(d[0].message, /no STONITH resources have been defined/);
  t.deepEqual(P.parseVerifyOutput('(pcmk__unpack_constraints) \twarning: Ignoring constraint \'c1\' because resource \'x\' does not exist\n'), [
    { severity: 'warning', source: 'pcmk__unpack_constraints', message: "Ignoring constraint 'c1' because resource 'x' does not exist", element: 'c1' },
  ]);
});
