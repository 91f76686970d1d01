'use strict';
// A throwaway PKI made with openssl at test time: a CA and leaf certificates with DNS SANs.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Returns { dir, ca, leaf(name) -> { cert, key, pem } , cleanup }. */
function makePki(caName = 'hakit test CA') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-http-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${caName}`], dir);
  let serial = 1;
  return {
    dir,
    ca: path.join(dir, 'ca.pem'),
    leaf(name) {
      const base = path.join(dir, name);
      openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      fs.writeFileSync(`${base}.ext`, `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\n`);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
      fs.writeFileSync(`${base}.pem`, Buffer.concat([fs.readFileSync(`${base}.crt`), fs.readFileSync(`${base}.key`)]));
      return { cert: `${base}.crt`, key: `${base}.key`, pem: `${base}.pem` };
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { makePki };
