'use strict';
// Property tests of the text parsers that read configuration and tool output: random mutations
// of a real input (the fixtures captured from keepalived, corosync, ipvsadm, ceph-authtool,
// gluster, haproxy-style YAML) either parse or are refused with a typed error; none crashes
// with an untyped error or hangs. (Binary parsers have libFuzzer targets under native/.)
const test = require('ava');
const fs = require('fs');
const path = require('path');
const hakit = require('../..');
const { checkMutants } = require('../helpers/mutate');

const fixture = (...parts) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', ...parts), 'utf8');

function property(title, text, parse, options = {}) {
  test(`property: ${title}`, (t) => {
    const { failures, parsed, refused } = checkMutants(text, parse, { count: 800, seed: 20261127, ...options });
    t.deepEqual(failures.slice(0, 5), []);
    // Both outcomes occur: a parser that refused everything (or nothing) would not be tested.
    t.true(parsed > 0, 'some mutants parse');
    t.true(refused > 0, 'some mutants are refused');
  });
}

property('keepalived.conf (vrrp)', fixture('vrrp', 'v3-unicast-h1.conf') + '\n' + fixture('vrrp', 'v2-auth-prio100.conf'), (text) => hakit.vrrp.parseConfig(text, 'mutant.conf'));
property('corosync.conf', fixture('pacemaker', 'corosync-2node.conf'), (text) => hakit.pacemaker.parseCorosyncConf(text));
property('corosync-quorumtool output', fixture('pacemaker', 'quorumtool-2node.txt'), (text) => hakit.pacemaker.parseQuorumtool(text));
property('ceph keyring', fixture('ceph', 'authtool-mon.keyring'), (text) => hakit.ceph.parseKeyring(text));
property('gluster --xml volume info', fixture('gluster', 'volume-info.xml'), (text) => hakit.gluster.parseVolumeInfo(hakit.gluster.parseXml(text)));
property('gluster --xml volume status', fixture('gluster', 'volume-status.xml'), (text) => hakit.gluster.parseVolumeStatus(hakit.gluster.parseXml(text)));
property('load-balancer YAML (the embedded default)', hakit.lb.http.defaultConfigText({ port: 8080, statsPort: 8404, servers: [{ name: 's1', port: 9001 }, { name: 's2', port: 9002 }], adminPassword: 'pw' }), (text) => hakit.lb.http.parseConfigText(text, 'mutant.yaml'), {
  alphabet: [':', '-', ' ', '\n', '"', "'", '#', '{', '}', '[', ']', '&', '*', '!', '|', '>', '0', 'x', '%'],
});
property(
  "keepalived.conf's virtual_server part (ipvs)",
  'virtual_server 10.0.0.1 80 {\n    delay_loop 6\n    lb_algo wrr\n    lb_kind DR\n    persistence_timeout 300\n    sorry_server 10.0.0.250 80\n    real_server 10.0.0.21 80 {\n        weight 3\n        inhibit_on_failure\n        HTTP_GET {\n            url {\n                path /health\n                status_code 200\n            }\n            connect_timeout 2\n            retry 3\n        }\n    }\n    real_server 10.0.0.22 80 {\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n}\nvirtual_server fwmark 9 {\n    lb_algo sh\n    real_server 2001:db8::9 0 {\n        weight 2\n    }\n}\n',
  (text) => hakit.ipvs.parseLvsConfig(text, 'mutant.conf'),
);
