/**
 * HAProxy's built-in error responses, byte for byte as HAProxy 2.6 sends them (captured from the
 * real haproxy into test/fixtures/lb-http/haproxy-2.6-errors.txt, which the tests compare with).
 * Errors raised while parsing the request (400, 408) use HAProxy's raw form with
 * `Connection: close`; the rest use its HTX form (lowercase header names). `errorfile` replaces
 * a status's whole response (status line, headers and body), as in HAProxy.
 */
import { readFileSync } from 'node:fs';
import { HakitError } from '../../errors';

const texts: Record<number, [reason: string, text: string]> = {
  200: ['OK', 'Service ready.'],
  400: ['Bad request', 'Your browser sent an invalid request.'],
  401: ['Unauthorized', 'You need a valid user and password to access this content.'],
  403: ['Forbidden', 'Request forbidden by administrative rules.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'A request was made of a resource using a request method not supported by that resource'],
  407: ['Unauthorized', 'You need a valid user and password to access this content.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  410: ['Gone', 'The resource is no longer available and will not be available again.'],
  413: ['Payload Too Large', 'The request entity exceeds the maximum allowed.'],
  425: ['Too Early', 'Your browser sent early data.'],
  429: ['Too Many Requests', 'You have sent too many requests in a given amount of time.'],
  500: ['Internal Server Error', 'An internal server error occurred.'],
  // HAProxy's own text has this leading dot.
  501: ['Not Implemented', '.The server does not support the functionality required to fulfill the request.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['Service Unavailable', 'No server is available to handle this request.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

export function reasonPhrase(status: number): string {
  return texts[status]?.[0] ?? 'Error';
}

export function errorBody(status: number): string {
  const [reason, text] = texts[status] ?? ['Error', 'An error occurred.'];
  return `<html><body><h1>${status} ${reason}</h1>\n${text}\n</body></html>\n`;
}

/** The full response HAProxy sends for `status` (HTX form: what deny/503/502/504 send). */
export function errorResponse(status: number): Buffer {
  const body = errorBody(status);
  const close = status === 400 || status === 408 ? 'connection: close\r\n' : '';
  return Buffer.from(
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n${close}\r\n${body}`,
  );
}

/** The raw form HAProxy uses for errors found while parsing a request (400, 408, 413). */
export function parseErrorResponse(status: number): Buffer {
  const body = errorBody(status);
  const close = status === 413 ? '' : 'Connection: close\r\n';
  return Buffer.from(
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-length: ${Buffer.byteLength(body)}\r\nCache-Control: no-cache\r\n${close}Content-Type: text/html\r\n\r\n${body}`,
  );
}

/** A parsed error response: what gets written through a Node ServerResponse. */
export interface ErrorPage {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  body: Buffer;
  /** The exact bytes, for writing to a raw socket. */
  raw: Buffer;
}

export function parseHttpResponse(raw: Buffer, source: string): ErrorPage {
  const end = raw.indexOf('\r\n\r\n');
  const headEnd = end >= 0 ? end : raw.indexOf('\n\n');
  if (headEnd < 0) throw new HakitError('LB_BAD_ERRORFILE', `${source}: no blank line after the headers`, { file: source });
  const head = raw.subarray(0, headEnd).toString('latin1').split(/\r?\n/);
  const body = raw.subarray(headEnd + (end >= 0 ? 4 : 2));
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(head[0] ?? '');
  if (!statusLine) throw new HakitError('LB_BAD_ERRORFILE', `${source}: first line must be "HTTP/1.x NNN reason"`, { file: source });
  const headers: Array<[string, string]> = [];
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HakitError('LB_BAD_ERRORFILE', `${source}: bad header line ${JSON.stringify(line)}`, { file: source });
    const name = line.slice(0, colon).trim();
    // The length is recomputed from the body actually in the file.
    if (name.toLowerCase() !== 'content-length') headers.push([name, line.slice(colon + 1).trim()]);
  }
  return { status: Number(statusLine[1]), reason: statusLine[2] ?? reasonPhrase(Number(statusLine[1])), headers, body, raw };
}

function builtin(status: number): ErrorPage {
  const raw = errorResponse(status);
  const page = parseHttpResponse(raw, 'builtin');
  page.headers.unshift(['content-length', String(page.body.length)]);
  return page;
}

/** Error pages of one proxy: HAProxy's built-ins overridden by `errorfile` entries. */
export class ErrorPages {
  private readonly pages = new Map<number, ErrorPage>();
  private readonly custom = new Set<number>();

  constructor(errorfiles: Record<number, string> = {}) {
    for (const [code, file] of Object.entries(errorfiles)) {
      let raw: Buffer;
      try {
        raw = readFileSync(file);
      } catch (error) {
        throw new HakitError('LB_BAD_ERRORFILE', `errorfile ${code}: cannot read ${file}: ${(error as Error).message}`, { file });
      }
      const page = parseHttpResponse(raw, file);
      page.headers.push(['content-length', String(page.body.length)]);
      this.pages.set(Number(code), page);
      this.custom.add(Number(code));
    }
  }

  get(status: number): ErrorPage {
    let page = this.pages.get(status);
    if (!page) {
      page = builtin(status);
      this.pages.set(status, page);
    }
    return page;
  }

  /** Bytes for a raw socket (parse-level errors): the errorfile as is, or HAProxy's raw form. */
  raw(status: number): Buffer {
    return this.custom.has(status) ? this.pages.get(status)!.raw : parseErrorResponse(status);
  }
}
