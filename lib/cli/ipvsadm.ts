/**
 * `hakit ipvsadm`: a drop-in for ipvsadm 1.31 (same options, output, save format and
 * messages), over hakit's netlink client. See docs/ipvs.md.
 */
import { ipvsadm } from '../ipvs/ipvsadm/run';
import { HELP } from '../ipvs/ipvsadm/help';
import type { Command } from './command';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const command: Command = {
  summary: 'ipvsadm 1.31 drop-in: manage the kernel IPVS table over netlink',
  help: HELP,
  async run(argv, io) {
    return ipvsadm(argv, { stdout: io.stdout, stderr: io.stderr, stdin: readStdin });
  },
};
export default command;
