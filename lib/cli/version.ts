import { buildInfo, nativePath } from '../native';
import { parseArgs } from './args';
import type { Command } from './command';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const pkg = require('../../package.json') as { version: string };

const command: Command = {
  summary: 'print the hakit version and how its native addon was built',
  help: 'usage: hakit version [--json]\n\n  --json  print as JSON\n',
  async run(argv, io) {
    const { options } = parseArgs(argv, [{ name: 'json', type: 'boolean', description: 'print as JSON' }], false);
    const info = { version: pkg.version, node: process.version, addon: nativePath(), ...buildInfo() };
    if (options.json) io.stdout(JSON.stringify(info, null, 2) + '\n');
    else io.stdout(`hakit ${info.version} (node ${info.node}, N-API ${info.napiVersion}, ${info.compiler}${info.sanitizers ? ', sanitizers' : ''})\naddon: ${info.addon}\n`);
    return 0;
  },
};
export default command;
