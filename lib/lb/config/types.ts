/**
 * The L7 balancer's configuration: HAProxy's sections (global, defaults, frontends, backends) as
 * a typed object. A YAML/JSON file with the same shape is read by load.ts; validate.ts turns
 * unknown input into this type or throws LB_BAD_CONFIG naming the path of the problem.
 *
 * Rules, ACLs and server lines keep HAProxy's one-line syntax as strings, so a HAProxy user can
 * carry them over: `acl: { api: "path_beg /api" }`, `http-request: ["deny if bad"]`,
 * `servers: { s1: "127.0.0.1:8081 check weight 10 maxconn 50" }`.
 */

/** Timeouts in milliseconds (strings like "5s", "250ms", "1m" are accepted in files). */
export interface Timeouts {
  connect: number;
  client: number;
  server: number;
  /** Whole request head must arrive within this (HAProxy `timeout http-request`): else 408. */
  httpRequest: number;
  /** Idle time between keep-alive requests on a client connection. */
  httpKeepAlive: number;
  /** Time a request may wait for a server slot (maxconn queue): else 503. */
  queue: number;
  /** Health-check response timeout. */
  check: number;
}

export interface TlsCert {
  /** PEM file paths (or PEM text when it starts with -----BEGIN). */
  cert: string;
  key: string;
  /** Server names this certificate answers for via SNI (default: from the certificate file order). */
  sni?: string[];
}

export interface BindConfig {
  address: string;
  port: number;
  /** TLS termination: first certificate is the default; others are chosen by SNI. */
  ssl?: { certs: TlsCert[]; alpn: string[] };
}

export interface FrontendConfig {
  name: string;
  binds: BindConfig[];
  /** name -> HAProxy ACL expression; several lines for one name are ORed, as in HAProxy. */
  acls: Record<string, string[]>;
  httpRequest: string[];
  useBackend: string[];
  defaultBackend?: string;
  /** Add X-Forwarded-For / -Proto and Forwarded (HAProxy `option forwardfor`). */
  forwardFor: boolean;
  timeouts: Timeouts;
  maxconn: number;
}

export interface ServerTls {
  /** Verify the server's certificate against `ca` (HAProxy `verify required`) or not (`verify none`). */
  verify: boolean;
  ca?: string;
  sni?: string;
}

export interface ServerConfig {
  name: string;
  host: string;
  port: number;
  check: boolean;
  weight: number;
  backup: boolean;
  /** 0 = unlimited; above it requests queue (timeout queue). */
  maxconn: number;
  ssl?: ServerTls;
  /** Cookie value for stickiness (HAProxy `cookie X`); defaults to the server name. */
  cookie?: string;
  /** Start in drain (no new requests unless sticky) or maint (no traffic). */
  disabled?: boolean;
}

export interface HealthCheckConfig {
  /** `option httpchk` request, e.g. "GET /health"; absent = TCP connect check. */
  httpchk?: { method: string; path: string };
  /** Expected status ranges: "200-399" by default (HAProxy accepts 2xx and 3xx). */
  expectStatus?: string;
  interval: number;
  rise: number;
  fall: number;
}

export interface BackendConfig {
  name: string;
  /** Any algorithm of the core scheduler set (lib/lb); validated against it at start. */
  balance: string;
  /** Argument of hash algorithms, e.g. uri, hdr(host), src, url_param(id). */
  hashKey?: string;
  cookie?: { name: string; mode: 'insert' | 'rewrite' | 'prefix'; indirect: boolean; nocache: boolean };
  servers: ServerConfig[];
  check: HealthCheckConfig;
  retries: number;
  redispatch: boolean;
  timeouts: Timeouts;
  httpRequest: string[];
}

export interface StatsConfig {
  bind: { address: string; port: number };
  /** Seconds between page refreshes. */
  refresh: number;
  /** Basic-auth credentials for drain/ready buttons; absent = read-only page. */
  admin?: { user: string; password: string };
}

export interface GlobalConfig {
  maxconn: number;
  /** Max bytes of the request head (request line + headers); HAProxy's tune.bufsize analogue. */
  maxHeaderSize: number;
  /** Max bytes of the request URI. */
  maxUriLength: number;
  /** Access log destination: 'stdout', 'stderr', a file path, or 'off'. */
  accessLog: string;
  /** Request path for plain-HTTP binds: C++ (native/lb/http) when 'auto' or 'on', Node's http when 'off'. */
  nativeHttp: 'auto' | 'on' | 'off';
  /** SO_REUSEPORT on native binds, so several processes (one per core) can share a port. */
  reusePort: boolean;
  stats?: StatsConfig;
}

export interface LbConfig {
  global: GlobalConfig;
  defaults: { timeouts: Timeouts; retries: number; forwardFor: boolean; errorfiles: Record<number, string> };
  frontends: FrontendConfig[];
  backends: BackendConfig[];
}
