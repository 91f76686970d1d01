/** A frontend at run time: compiled ACLs and rules, the backend it routes to, its counters. */
import type { FrontendConfig } from '../config/types';
import { type AclRequest, type AclTest, compileAcls } from './acl';
import { TrafficCounters } from './counters';
import { type HttpRequestRule, type UseBackendRule, applies, compileHttpRequestRule, compileUseBackend } from './rules';

export class FrontendRuntime {
  readonly acls: Map<string, AclTest>;
  readonly rules: HttpRequestRule[];
  readonly useBackend: UseBackendRule[];
  counters: TrafficCounters;

  constructor(readonly config: FrontendConfig, counters?: TrafficCounters) {
    this.acls = compileAcls(config.acls);
    this.rules = config.httpRequest.map((line) => compileHttpRequestRule(line, this.acls));
    this.useBackend = config.useBackend.map((line) => compileUseBackend(line, this.acls));
    // Counters survive a reload so the stats page keeps its history.
    this.counters = counters ?? new TrafficCounters();
  }

  backendFor(req: AclRequest): string | undefined {
    for (const rule of this.useBackend) if (applies(rule, req)) return rule.backend;
    return this.config.defaultBackend;
  }
}

/**
 * An AclRequest over Node's raw headers; the header map is built only if an ACL asks. `raw` is
 * the request's own rawHeaders until a rule rewrites a header (`own()` copies it first), so the
 * common request without rewrites copies nothing. The native path passes a loader instead of
 * the array: the headers cross from C++ only if an ACL, a rule or persistence reads them.
 */
export class RequestView implements AclRequest {
  private map: Map<string, string[]> | undefined;
  private owned = false;
  private rawHeaders: string[] | undefined;
  private readonly load: (() => string[]) | undefined;

  constructor(
    readonly method: string,
    readonly path: string,
    raw: string[] | (() => string[]),
    readonly src: string,
    readonly ssl: boolean,
  ) {
    if (typeof raw === 'function') this.load = raw;
    else this.rawHeaders = raw;
  }

  get raw(): string[] {
    return (this.rawHeaders ??= this.load!());
  }

  set raw(value: string[]) {
    this.rawHeaders = value;
  }

  /** True once a rule changed the headers (raw is then a private copy). */
  get modified(): boolean {
    return this.owned;
  }

  get headers(): Map<string, string[]> {
    if (!this.map) {
      const raw = this.raw;
      const map = new Map<string, string[]>();
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i]!.toLowerCase();
        const list = map.get(name);
        if (list) list.push(raw[i + 1]!);
        else map.set(name, [raw[i + 1]!]);
      }
      this.map = map;
    }
    return this.map;
  }

  /** `raw` as a private copy, safe to change. */
  own(): string[] {
    if (!this.owned) {
      this.raw = this.raw.slice();
      this.owned = true;
    }
    return this.raw;
  }

  /** Call after changing `raw` (set-header, del-header) so later ACLs see the change. */
  invalidate(): void {
    this.map = undefined;
  }
}
