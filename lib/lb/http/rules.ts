/**
 * `http-request` rules (HAProxy configuration.txt §4.2 "http-request"): deny, allow, redirect,
 * set-header, add-header, del-header and return, each with an optional if/unless condition;
 * and `use_backend NAME [if cond]`. Rules run in order; deny/redirect/return/allow stop.
 */
import { readFileSync } from 'node:fs';
import { type AclRequest, type AclTest, splitCondition } from './acl';
import { deleteHeader, setHeader } from './headers';
import { splitWords } from './words';

export type HttpRequestAction =
  | { kind: 'allow' }
  | { kind: 'deny'; status: number }
  | { kind: 'redirect'; type: 'location' | 'prefix' | 'scheme'; target: string; code: number }
  | { kind: 'set-header' | 'add-header'; name: string; value: string }
  | { kind: 'del-header'; name: string }
  | { kind: 'return'; status: number; contentType?: string; body?: Buffer; headers: Array<[string, string]> };

export interface HttpRequestRule {
  action: HttpRequestAction;
  condition?: AclTest;
  source: string;
}

const redirectCodes = [301, 302, 303, 307, 308];
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function compileHttpRequestRule(line: string, acls: ReadonlyMap<string, AclTest>): HttpRequestRule {
  const { words, condition } = splitCondition(splitWords(line), acls);
  const [verb, ...args] = words;
  const action = parseAction(verb, args);
  return { action, condition, source: line };
}

function parseAction(verb: string | undefined, args: string[]): HttpRequestAction {
  switch (verb) {
    case 'allow':
      expectNone(verb, args);
      return { kind: 'allow' };
    case 'deny': {
      let status = 403;
      for (let i = 0; i < args.length; i++) {
        if (args[i] === 'deny_status') status = statusArg(args[++i], 200, 599);
        else throw new Error(`unknown deny option '${args[i]}'`);
      }
      return { kind: 'deny', status };
    }
    case 'redirect': {
      const type = args[0];
      if (type !== 'location' && type !== 'prefix' && type !== 'scheme') throw new Error('redirect needs location, prefix or scheme');
      const target = args[1];
      if (!target) throw new Error(`redirect ${type} needs a value`);
      let code = 302;
      for (let i = 2; i < args.length; i++) {
        if (args[i] === 'code') {
          code = statusArg(args[++i], 301, 308);
          if (!redirectCodes.includes(code)) throw new Error(`redirect code must be one of ${redirectCodes.join(', ')}`);
        } else throw new Error(`unknown redirect option '${args[i]}'`);
      }
      return { kind: 'redirect', type, target, code };
    }
    case 'set-header':
    case 'add-header': {
      if (args.length !== 2) throw new Error(`${verb} needs a header name and a value`);
      checkHeader(args[0]!, args[1]!);
      return { kind: verb, name: args[0]!, value: args[1]! };
    }
    case 'del-header':
      if (args.length !== 1) throw new Error('del-header needs a header name');
      checkHeader(args[0]!, '');
      return { kind: 'del-header', name: args[0]! };
    case 'return': {
      let status = 200;
      let contentType: string | undefined;
      let body: Buffer | undefined;
      const headers: Array<[string, string]> = [];
      for (let i = 0; i < args.length; i++) {
        const option = args[i];
        const value = args[i + 1];
        if (option === 'status') status = statusArg(args[++i], 200, 599);
        else if (option === 'content-type' && value !== undefined) (contentType = value), i++;
        else if (option === 'string' && value !== undefined) (body = Buffer.from(value)), i++;
        else if (option === 'file' && value !== undefined) {
          try {
            body = readFileSync(value);
          } catch (error) {
            throw new Error(`return file ${value}: ${(error as Error).message}`);
          }
          i++;
        } else if (option === 'hdr' && value !== undefined && args[i + 2] !== undefined) {
          checkHeader(value, args[i + 2]!);
          headers.push([value, args[i + 2]!]);
          i += 2;
        } else throw new Error(`bad return option '${option}'`);
      }
      if (body !== undefined && contentType === undefined) throw new Error('return with a body needs content-type (as in HAProxy)');
      return { kind: 'return', status, contentType, body, headers };
    }
    default:
      throw new Error(`unknown http-request action '${verb ?? ''}' (deny, allow, redirect, set-header, add-header, del-header, return)`);
  }
}

function expectNone(verb: string, args: string[]): void {
  if (args.length) throw new Error(`${verb} takes no argument, got '${args[0]}'`);
}

function statusArg(text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (!text || !/^\d{3}$/.test(text) || value < min || value > max) throw new Error(`status must be a number in [${min}, ${max}], got ${JSON.stringify(text ?? '')}`);
  return value;
}

function checkHeader(name: string, value: string): void {
  if (!headerName.test(name)) throw new Error(`bad header name ${JSON.stringify(name)}`);
  if (/[\r\n\0]/.test(value)) throw new Error(`header value may not contain CR, LF or NUL`);
}

export interface UseBackendRule {
  backend: string;
  condition?: AclTest;
}

export function compileUseBackend(line: string, acls: ReadonlyMap<string, AclTest>): UseBackendRule {
  const { words, condition } = splitCondition(splitWords(line), acls);
  if (words.length !== 1) throw new Error('use_backend needs one backend name and an optional condition');
  return { backend: words[0]!, condition };
}

/** Runs a rule's condition (no condition = always). */
export function applies(rule: { condition?: AclTest }, req: AclRequest): boolean {
  return rule.condition === undefined || rule.condition(req);
}

/** The header edits of http-request rules, shared by both request paths; answers are not edits. */
export function editHeaders(view: { own(): string[]; invalidate(): void }, action: HttpRequestAction): void {
  if (action.kind === 'set-header') setHeader(view.own(), action.name, action.value);
  else if (action.kind === 'add-header') view.own().push(action.name, action.value);
  else if (action.kind === 'del-header') deleteHeader(view.own(), action.name.toLowerCase());
  else return;
  view.invalidate();
}
