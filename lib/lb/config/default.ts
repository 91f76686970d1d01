/**
 * The embedded default that `hakit lb` (npm start) runs without a config: loopback only, three
 * demo backends it starts itself (their ports are filled in at start), HTTP health checks, a few
 * rules to show the model, and the stats page with an admin user.
 */
export function defaultConfigText(options: { port: number; statsPort: number; servers: Array<{ name: string; port: number }>; adminPassword: string }): string {
  const servers = options.servers.map((s) => `      ${s.name}: "127.0.0.1:${s.port} check weight 10"`).join('\n');
  return `# hakit lb embedded default (print it with: hakit lb --print-default)
global:
  maxconn: 4096
  access-log: stdout
  stats:
    bind: 127.0.0.1:${options.statsPort}
    refresh: 1s
    admin: { user: admin, password: "${options.adminPassword}" }
defaults:
  timeout: { connect: 2s, client: 30s, server: 30s, http-request: 10s, http-keep-alive: 5s, queue: 5s, check: 1s }
  retries: 2
  option: [forwardfor, redispatch]
frontend:
  web:
    bind: 127.0.0.1:${options.port}
    acl:
      is_health: path /health
      is_private: path_beg /private
      from_loopback: src 127.0.0.0/8 ::1
    http-request:
      - deny if is_private !from_loopback
      - deny deny_status 404 if { path_beg /.git }
      - redirect location / code 302 if { path /index.html }
      - return status 200 content-type text/plain string "hakit ok\\n" if is_health
      - set-header X-Served-By hakit
    default_backend: demo
backend:
  demo:
    balance: roundrobin
    option: { httpchk: "GET /health" }
    http-check: { expect: "status 200", inter: 1s, rise: 2, fall: 2 }
    server:
${servers}
`;
}
