/** Host and service names the way ipvsadm finds them (/etc/services, the resolver). */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import type { Names } from './format';

interface ServiceTable {
  byPort: Map<string, string>;
  byName: Map<string, number>;
}
let services: ServiceTable | undefined;

/** getservbyport/getservbyname over /etc/services: the first entry of a port/protocol wins. */
export function serviceTable(file = '/etc/services'): ServiceTable {
  if (services) return services;
  const table: ServiceTable = { byPort: new Map(), byName: new Map() };
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // no services database: everything stays numeric, as with glibc
  }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (!name || !m) continue;
    const key = `${m[1]}/${m[2]}`;
    if (!table.byPort.has(key)) table.byPort.set(key, name);
    for (const n of [name, ...aliases]) if (!table.byName.has(`${n}/${m[2]}`)) table.byName.set(`${n}/${m[2]}`, Number(m[1]));
  }
  services = table;
  return table;
}

export function portByName(name: string, protocol: string): number | undefined {
  return serviceTable().byName.get(`${name}/${protocol}`);
}

/** Resolves every address first (reverse lookups are asynchronous), then answers synchronously. */
export async function systemNames(addresses: Iterable<string>): Promise<Names> {
  const hosts = new Map<string, string>();
  await Promise.all(
    [...new Set(addresses)].map(async (address) => {
      try {
        const { hostname } = await dns.lookupService(address, 1);
        if (hostname && hostname !== address && !net.isIP(hostname)) hosts.set(address, hostname);
      } catch {
        // numeric, like ipvsadm when gethostbyaddr fails
      }
    }),
  );
  const table = serviceTable();
  return {
    host: (_family, address) => hosts.get(address) ?? address,
    service: (port, protocol) => table.byPort.get(`${port}/${protocol}`) ?? String(port),
  };
}
