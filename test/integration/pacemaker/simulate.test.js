'use strict';
// The real scheduler (crm_simulate) on CIBs hakit built: placements, allocation scores and the
// transition parsed into typed data, for what-if questions (node down, injected op failure).
const test = require('ava');
const { needs, requires } = require('../../helpers/env');
const { pacemaker: P } = require('../../..');

const need = needs(test, [requires.command('crm_simulate', 'pacemaker-cli-utils'), requires.command('crm_verify', 'pacemaker-cli-utils')]);

async function seedCib() {
  const cib = P.Cib.empty();
  for (const [i, n] of ['n1', 'n2', 'n3'].entries()) P.nodeAdd(cib, String(i + 1), n);
  for (const argv of [
    ['property', 'set', 'stonith-enabled=false'],
    ['resource', 'create', 'vip', 'ocf:heartbeat:IPaddr2', 'ip=192.0.2.10', 'cidr_netmask=24', 'op', 'monitor', 'interval=10s', '--no-default-ops'],
    ['resource', 'create', 'web', 'ocf:pacemaker:Dummy', 'op', 'monitor', 'interval=10s', '--no-default-ops'],
    ['constraint', 'order', 'vip', 'then', 'web'],
    ['constraint', 'colocation', 'add', 'web', 'with', 'vip', 'INFINITY'],
    ['constraint', 'location', 'vip', 'prefers', 'n2=50'],
  ]) await P.runPcs(cib, argv);
  return cib;
}
const ALL = ['n1', 'n2', 'n3'];

need('colocation INFINITY keeps web with vip; the location preference puts both on n2; order starts vip first', async (t) => {
  const cib = await seedCib();
  t.true((await P.verify(cib)).valid);
  const sim = await P.simulate(cib, { nodesUp: ALL });
  t.deepEqual(sim.placement, { vip: ['n2'], web: ['n2'] });
  const score = (rsc, node) => sim.scores.find((s) => s.resource === rsc && s.node === node && s.source.includes('primitive_assign'));
  t.is(score('vip', 'n2').value, 50);
  t.is(score('web', 'n1').score, '-INFINITY');
  t.is(score('web', 'n3').value, -1_000_000);
  const starts = sim.transition.filter((a) => a.action === 'start').map((a) => `${a.resource}@${a.node}`);
  t.deepEqual(starts, ['vip@n2', 'web@n2']);
  t.true(sim.transition.some((a) => a.resource === 'web' && a.action === 'monitor' && a.intervalMs === 10000 && a.node === 'n2'));
});

need('what if n2 dies: both move together to one surviving node', async (t) => {
  const running = await P.simulate(await seedCib(), { nodesUp: ALL });
  const after = await P.simulate(running.cib, { nodesDown: ['n2'] });
  t.deepEqual(after.before.find((p) => p.resource === 'vip').nodes, ['n2']);
  const where = after.placement.vip;
  t.is(where.length, 1);
  t.not(where[0], 'n2');
  t.deepEqual(after.placement.web, where);
  t.true(after.actions.some((a) => a.resource === 'vip' && (a.action === 'move' || a.action === 'start')), JSON.stringify(after.actions));
});

need('stickiness keeps a running resource where it is against a weaker preference; without it the resource moves', async (t) => {
  const base = await seedCib();
  const running = P.Cib.parse((await P.simulate(base, { nodesUp: ALL })).cib);
  // A new, weaker preference elsewhere.
  const sticky = running.clone();
  await P.runPcs(sticky, ['constraint', 'location', 'vip', 'prefers', 'n3=80']);
  await P.runPcs(sticky, ['resource', 'defaults', 'update', 'resource-stickiness=100']);
  const stays = await P.simulate(sticky, {});
  t.deepEqual(stays.placement, { vip: ['n2'], web: ['n2'] });
  // vip on n2: 50 + stickiness 100 (+ web's 100 through the colocation) beats 80 on n3.
  t.true(stays.scores.find((s) => s.resource === 'vip' && s.node === 'n2' && s.source.includes('primitive_assign')).value > 80);

  const loose = running.clone();
  await P.runPcs(loose, ['constraint', 'location', 'vip', 'prefers', 'n3=80']);
  const moves = await P.simulate(loose, {});
  t.deepEqual(moves.placement, { vip: ['n3'], web: ['n3'] });
});

need('an injected monitor failure (rc 7) makes the scheduler recover web, and vip stays', async (t) => {
  const running = await P.simulate(await seedCib(), { nodesUp: ALL });
  const sim = await P.simulate(running.cib, { opFail: ['web_monitor_10000@n2=7'] });
  const ops = sim.transition.filter((a) => a.resource === 'web').map((a) => a.action);
  t.true(ops.includes('stop') && ops.includes('start'), JSON.stringify(sim.transition));
  t.deepEqual(sim.placement.vip, ['n2']);
  t.deepEqual(sim.placement.web, ['n2']);
});
