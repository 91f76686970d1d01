/**
 * The stats page: one self-contained HTML document (no external assets) that renders the JSON
 * snapshot and re-fetches it every `refresh` seconds, in the layout of HAProxy's stats page:
 * one table per frontend/backend, one row per server, state colours, and (when an admin user
 * is configured) drain / ready / maint buttons that POST to /admin with HTTP basic auth.
 */
export function statsPage(options: { refreshSecs: number; admin: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hakit load balancer statistics</title>
<style>
body{font-family:Arial,Helvetica,sans-serif;font-size:12px;margin:8px;background:#fff;color:#000}
h1{font-size:18px;margin:0 0 4px 0;color:#fff;background:#20a0ff;padding:6px}
.info{margin:6px 0 10px 0}
table.px{border-collapse:collapse;margin:0 0 14px 0;min-width:900px}
table.px th,table.px td{border:1px solid #999;padding:2px 5px;text-align:right;white-space:nowrap}
table.px th{background:#b0b0ff}
table.px caption{text-align:left;font-weight:bold;background:#3030a0;color:#fff;padding:3px 6px}
td.name{text-align:left;font-weight:bold}
tr.UP td{background:#c0ffc0} tr.DOWN td{background:#ff9090} tr.DRAIN td{background:#a0a0ff}
tr.MAINT td{background:#c07820;color:#fff} tr.BACKUP td{background:#c0d0ff} tr.total td{background:#ffd0a0;font-weight:bold}
tr.OPEN td{background:#e0ffe0}
button{font-size:11px;margin:0 1px}
#err{color:#c00}
</style></head>
<body>
<h1>hakit load balancer statistics</h1>
<div class="info">Updated <span id="time">-</span> &middot; uptime <span id="uptime">-</span> &middot; refresh every ${options.refreshSecs}s
&middot; <a href="stats.json">JSON</a> &middot; <a href="metrics">Prometheus</a> <span id="err"></span></div>
<div id="proxies">loading...</div>
<script>
const ADMIN = ${options.admin ? 'true' : 'false'};
const REFRESH = ${Math.max(0.2, options.refreshSecs)} * 1000;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const dur = (s) => s < 60 ? s + 's' : s < 3600 ? Math.floor(s/60) + 'm' + (s%60) + 's' : Math.floor(s/3600) + 'h' + Math.floor(s%3600/60) + 'm';
const bytes = (n) => n < 1024 ? n + '' : n < 1048576 ? (n/1024).toFixed(1) + 'K' : (n/1048576).toFixed(1) + 'M';
const head = '<tr><th>Name</th><th>Status</th><th>Weight</th><th>Cur</th><th>Max</th><th>Total</th><th>Rate</th><th>Queue</th>'
  + '<th>Bytes in</th><th>Bytes out</th><th>Denied</th><th>Err req</th><th>Err conn</th><th>Err resp</th><th>Retries</th>'
  + '<th>2xx</th><th>4xx</th><th>5xx</th><th>Check</th><th>Reason</th><th>Last change</th>' + (ADMIN ? '<th>Admin</th>' : '') + '</tr>';
function row(cls, name, status, weight, c, queue, check, lastChk, lastChange, admin) {
  return '<tr class="' + cls + '" data-name="' + esc(name) + '"><td class="name">' + esc(name) + '</td><td class="status">' + esc(status) + '</td><td>' + weight + '</td>'
    + '<td class="scur">' + c.scur + '</td><td>' + c.smax + '</td><td class="stot">' + c.stot + '</td><td>' + c.rate + '</td><td>' + queue + '</td>'
    + '<td>' + bytes(c.bytesIn) + '</td><td>' + bytes(c.bytesOut) + '</td><td>' + c.dreq + '</td><td>' + c.ereq + '</td><td>' + c.econ + '</td><td>' + c.eresp + '</td><td>' + c.wretr + '</td>'
    + '<td>' + c.hrsp[2] + '</td><td>' + c.hrsp[4] + '</td><td>' + c.hrsp[5] + '</td><td class="check">' + esc(check) + '</td><td>' + esc(lastChk) + '</td><td>' + esc(lastChange) + '</td>'
    + (ADMIN ? '<td>' + (admin || '') + '</td>' : '') + '</tr>';
}
function render(s) {
  document.getElementById('time').textContent = s.time;
  document.getElementById('uptime').textContent = dur(s.uptimeSecs);
  let html = '';
  for (const fe of s.frontends) {
    html += '<table class="px frontend" id="fe-' + esc(fe.name) + '"><caption>frontend ' + esc(fe.name) + ' (' + esc(fe.binds.join(', ')) + ')</caption>' + head
      + row('OPEN', 'FRONTEND', fe.status, '', fe.counters, '', '', '', '', '') + '</table>';
  }
  for (const be of s.backends) {
    html += '<table class="px backend" id="be-' + esc(be.name) + '"><caption>backend ' + esc(be.name) + ' (balance ' + esc(be.balance) + ')</caption>' + head;
    for (const sv of be.servers) {
      const cls = sv.backup && sv.status === 'UP' ? 'BACKUP' : sv.status;
      const check = sv.check ? sv.checkStatus + (sv.checkDetail ? ' ' + sv.checkDetail : '') + ' in ' + sv.checkDurationMs + 'ms' : 'no check';
      const admin = '<button data-action="drain">drain</button><button data-action="ready">ready</button><button data-action="maint">maint</button>';
      html += row(cls + ' server', sv.name, sv.status + (sv.backup ? ' (backup)' : ''), sv.weight, sv.counters, sv.queued, check, sv.lastReason, dur(sv.lastChangeSecs), admin)
        .replace('<tr ', '<tr data-backend="' + esc(be.name) + '" ');
    }
    html += row('total', 'BACKEND', be.status, '', be.counters, be.queued, '', '', dur(be.lastChangeSecs), '') + '</table>';
  }
  document.getElementById('proxies').innerHTML = html;
}
async function refresh() {
  try {
    const r = await fetch('stats.json', { cache: 'no-store' });
    render(await r.json());
    document.getElementById('err').textContent = '';
  } catch (e) { document.getElementById('err').textContent = 'refresh failed: ' + e.message; }
}
document.addEventListener('click', async (ev) => {
  const b = ev.target.closest('button[data-action]');
  if (!b) return;
  const tr = b.closest('tr');
  const r = await fetch('admin', { method: 'POST', headers: { 'content-type': 'application/json' }, credentials: 'include',
    body: JSON.stringify({ backend: tr.dataset.backend, server: tr.dataset.name, action: b.dataset.action }) });
  if (!r.ok) document.getElementById('err').textContent = 'admin: ' + r.status + ' ' + (await r.text());
  refresh();
});
refresh();
setInterval(refresh, REFRESH);
</script>
</body></html>
`;
}
