'use strict';
// Process plumbing shared by the L7 benchmarks: free ports, pinned children, readiness, and
// CPU seconds (user + system) of a process tree read from /proc.
const fs = require('fs');
const net = require('net');
const { spawn, execFileSync } = require('child_process');
const { freePort } = require('../../test/helpers/net');

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const children = [];

/** Starts cmd pinned to `cpus` (taskset list, e.g. 0 or '0-1'); stopAll() ends it. */
function start(cpus, cmd, args, env = {}) {
  const child = spawn('taskset', ['-c', String(cpus), cmd, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => net.connect(port, '127.0.0.1').on('connect', function () { this.destroy(); r(true); }).on('error', () => r(false)));
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

const stopAll = () => Promise.all(children.map(stop));

/** CPU seconds of processes and their descendants (nginx's workers), from /proc. */
function cpuSeconds(pids) {
  let total = 0;
  const stack = [].concat(pids);
  while (stack.length) {
    const p = stack.pop();
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        const kids = fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (kids) stack.push(...kids.split(' ').map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Runs a benchmark's main: a failure sets the exit status; children and the temp dir always go. */
function runBench(main, dir) {
  main()
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(async () => {
      await stopAll();
      fs.rmSync(dir, { recursive: true, force: true });
    });
}

module.exports = { freePort, start, waitPort, stop, stopAll, cpuSeconds, runBench };
