/**
 * HAProxy's agent-check protocol (configuration manual, "agent-check"): the agent answers one
 * line of words separated by spaces, tabs or commas:
 *   NN%                      weight in percent of the configured weight
 *   maxconn:N                new connection limit
 *   ready | drain | maint    administrative state
 *   up | down | failed | stopped   operational state (the last three mean down)
 *   # text                   free description up to the end of the line
 * Words combine ("up 75% drain", "down #disk full"). Unknown words are reported, not fatal.
 */
import { HakitError } from '../../errors';

export interface AgentReply {
  health?: 'up' | 'down';
  admin?: 'ready' | 'drain' | 'maint';
  weightPercent?: number;
  maxConnections?: number;
  description?: string;
  /** Words that meant nothing; HAProxy logs and ignores them. */
  unknown: string[];
}

/** Longest reply considered (HAProxy reads one buffer; a line longer than this is malformed). */
export const AGENT_MAX_REPLY = 1024;

export function parseAgentReply(input: string | Uint8Array): AgentReply {
  let text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const newline = text.search(/[\r\n]/);
  if (newline >= 0) text = text.slice(0, newline);
  if (text.length > AGENT_MAX_REPLY) throw new HakitError('LB_AGENT_REPLY', `agent reply longer than ${AGENT_MAX_REPLY} bytes`, { length: text.length });
  const reply: AgentReply = { unknown: [] };
  const hash = text.indexOf('#');
  if (hash >= 0) {
    reply.description = text.slice(hash + 1).trim();
    text = text.slice(0, hash);
  }
  for (const raw of text.split(/[ \t,]+/)) {
    if (raw === '') continue;
    const word = raw.toLowerCase();
    let m: RegExpMatchArray | null;
    if ((m = /^(\d{1,6})%$/.exec(word))) {
      reply.weightPercent = Math.min(Number(m[1]), 256);
    } else if ((m = /^maxconn:(\d{1,9})$/.exec(word))) {
      reply.maxConnections = Number(m[1]);
    } else if (word === 'ready' || word === 'drain' || word === 'maint') {
      reply.admin = word;
    } else if (word === 'up') {
      reply.health = 'up';
    } else if (word === 'down' || word === 'failed' || word === 'stopped') {
      reply.health = 'down';
    } else {
      reply.unknown.push(raw.length > 32 ? raw.slice(0, 32) : raw);
    }
  }
  if (reply.health === undefined && reply.admin === undefined && reply.weightPercent === undefined && reply.maxConnections === undefined) {
    if (reply.unknown.length > 0 || text.trim() === '') {
      throw new HakitError('LB_AGENT_REPLY', `agent reply has no state, weight or maxconn: ${JSON.stringify(text.slice(0, 64))}`, { unknown: reply.unknown });
    }
  }
  return reply;
}
