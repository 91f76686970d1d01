'use strict';
// keepalived.conf's virtual_server blocks read into VirtualServer options: keepalived's defaults
// (wlc, NAT, delay_loop 60, retry 1, real servers without a checker always up), its keywords,
// and typed errors / warnings naming file and line. The same file's VRRP part is skipped.
const test = require('ava');
const { ipvs } = require('../../..');

const conf = `global_defs {
    router_id lb1
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
}
virtual_server 192.168.1.10 80 {
    delay_loop 6
    lb_algo wrr
    lb_kind DR
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    protocol TCP
    quorum 2
    sorry_server 192.168.1.250 80
    real_server 192.168.1.21 80 {
        weight 3
        inhibit_on_failure
        HTTP_GET {
            url {
                path /health
                digest 0123456789ABCDEF0123456789abcdef
                status_code 200 204
            }
            connect_port 8080
            connect_timeout 2.5
            retry 3
            delay_before_retry 2
        }
    }
    real_server 192.168.1.22 80 {
        weight 1
        uthreshold 100
        lthreshold 10
        lvs_method NAT
        TCP_CHECK {
            connect_timeout 3
        }
    }
    real_server 192.168.1.23 80 {
    }
}
virtual_server fwmark 9 {
    lb_algo mh
    mh-fallback
    mh-port
    real_server 2001:db8::9 0 {
        weight 2
    }
}
virtual_server 192.168.1.11 53 {
    protocol UDP
    ops
    real_server 192.168.1.31 53 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
}
`;

test('virtual_server blocks: services, real servers, checks, quorum and sorry server', (t) => {
  const { virtualServers: [web, mark, dns], warnings } = ipvs.parseLvsConfig(conf, 'lb.conf');
  t.deepEqual(web.service, { protocol: 'tcp', address: '192.168.1.10', port: 80, scheduler: 'wrr', persistent: 300, netmask: '255.255.255.0' });
  t.is(web.intervalMs, 6000);
  t.is(web.quorum, 2);
  t.true(web.inhibitOnFailure);
  t.is(web.retries, 4, 'retry 3: down after 4 failed checks');
  t.deepEqual(web.sorryServer, { address: '192.168.1.250', port: 80, forward: 'route', weight: 1 });
  t.deepEqual(web.realServers[0], {
    address: '192.168.1.21', port: 80, forward: 'route', weight: 3,
    check: { type: 'http', port: 8080, timeoutMs: 2500, path: '/health', host: undefined, digest: '0123456789abcdef0123456789abcdef', expectStatus: [200, 204] },
  });
  t.deepEqual(web.realServers[1], { address: '192.168.1.22', port: 80, forward: 'masq', weight: 1, upperThreshold: 100, lowerThreshold: 10, check: { type: 'tcp', port: undefined, timeoutMs: 3000 } });
  t.deepEqual(web.realServers[2].check, { type: 'none' }, 'no checker: always up, as keepalived');
  t.deepEqual(mark.service, { fwmark: 9, scheduler: 'mh', schedFlags: ['flag-1', 'flag-2'], family: 6 });
  t.is(mark.realServers[0].forward, 'masq', 'keepalived defaults to NAT');
  t.is(mark.intervalMs, 60000, 'delay_loop defaults to 60 s');
  t.is(mark.retries, 2, 'retry defaults to 1');
  t.deepEqual(dns.service, { protocol: 'udp', address: '192.168.1.11', port: 53, scheduler: 'wlc', onePacket: true });
  t.deepEqual(dns.realServers[0].check, { type: 'none' });
  t.deepEqual(warnings.map((w) => `${w.file}:${w.line}`), ['lb.conf:58']);
  t.regex(warnings[0].message, /MISC_CHECK is not supported/);
});

test('bad values are IPVS_BAD_CONFIG naming file and line; repeated services are refused', (t) => {
  const bad = [
    ['virtual_server 10.0.0.1 80 {\n    lb_algo nosuch\n}\n', /x\.conf:2: unknown scheduler 'nosuch'/],
    ['virtual_server 10.0.0.1 80 {\n    lb_kind FOO\n}\n', /x\.conf:2: lb_kind must be NAT, DR or TUN/],
    ['virtual_server 10.0.0.999 80 {\n}\n', /x\.conf:1: virtual_server address must be/],
    ['virtual_server 10.0.0.1 70000 {\n}\n', /x\.conf:1: virtual_server port must be an integer in 0\.\.65535/],
    ['virtual_server 10.0.0.1 80 {\n    real_server 10.1.1.1 80 {\n        weight -1\n    }\n}\n', /x\.conf:3: weight must be an integer/],
    ['virtual_server 10.0.0.1 80 {\n    delay_loop 0\n}\n', /x\.conf:2: delay_loop must be a number of seconds/],
    ['virtual_server 10.0.0.1 80 {\n}\nvirtual_server 10.0.0.1 80 {\n}\n', /x\.conf:3: this virtual_server repeats the one at x\.conf:1/],
    ['virtual_server 10.0.0.1 80 {\n    real_server 10.1.1.1 80 {\n        HTTP_GET {\n            url {\n                digest xyz\n            }\n        }\n    }\n}\n', /x\.conf:5: digest must be 32 hex digits/],
    ['virtual_server 10.0.0.1 80 {\n', /x\.conf:\d+: missing '\}'/],
  ];
  for (const [text, message] of bad) {
    const error = t.throws(() => ipvs.parseLvsConfig(text, 'x.conf'), undefined, text);
    t.is(error.code, 'IPVS_BAD_CONFIG', text);
    t.regex(error.message, message);
  }
});

test('unknown keywords are warnings, and a file of VRRP only has no virtual servers', (t) => {
  const { virtualServers, warnings } = ipvs.parseLvsConfig('vrrp_instance A {\n}\nvirtual_server 10.0.0.1 80 {\n    hysteresis 2\n    frobnicate 1\n}\nnot_a_section {\n}\n', 'w.conf');
  t.is(virtualServers.length, 1);
  t.deepEqual(warnings.map((w) => [w.line, w.message]), [
    [4, "'hysteresis' is not supported by hakit (ignored)"],
    [5, "unknown keyword 'frobnicate' in virtual_server (ignored)"],
    [7, "unknown top-level keyword 'not_a_section' (ignored)"],
  ]);
  t.is(ipvs.parseLvsConfig('vrrp_instance A {\n}\n').virtualServers.length, 0);
});

test('hakit lvs check prints the services it would start with; a bad file exits 1', (t) => {
  const fs = require('fs');
  const os = require('os');
  const path = require('path');
  const { spawnSync } = require('child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-lvs-'));
  try {
    fs.writeFileSync(path.join(dir, 'k.conf'), conf);
    fs.writeFileSync(path.join(dir, 'bad.conf'), 'virtual_server 10.0.0.1 80 {\n    lb_algo nosuch\n}\n');
    const bin = path.join(__dirname, '..', '..', '..', 'bin', 'hakit.js');
    const ok = spawnSync(process.execPath, [bin, 'lvs', 'check', '--config', path.join(dir, 'k.conf'), '--json'], { encoding: 'utf8' });
    t.is(ok.status, 0, ok.stderr);
    t.is(JSON.parse(ok.stdout).length, 3);
    t.regex(ok.stderr, /warning: .*k\.conf:58: MISC_CHECK/);
    const bad = spawnSync(process.execPath, [bin, 'lvs', 'check', '--config', path.join(dir, 'bad.conf')], { encoding: 'utf8' });
    t.is(bad.status, 1);
    t.regex(bad.stderr, /bad\.conf:2: unknown scheduler 'nosuch'.*IPVS_BAD_CONFIG/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
