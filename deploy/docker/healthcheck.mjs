#!/usr/bin/env node
// The image's HEALTHCHECK (node, because the slim image has no curl). Exit 0 healthy, 1 not.
//
//   node healthcheck.mjs              the run's /healthz on the metrics port, resolved from the
//                                     environment as mcpload resolves it (MCPLOAD_METRICS_PORT, else
//                                     METRICS_ENABLED=false / METRICS_PORT, else 9464); healthy on 200,
//                                     and always healthy when the endpoint is turned off (port 0); asked
//                                     on MCPLOAD_METRICS_HOST when that is one address (not 0.0.0.0
//                                     or ::), else on 127.0.0.1
//   node healthcheck.mjs URL [STATUS] healthy when URL answers STATUS (default 200); the reference
//                                     target answers a plain GET on its endpoint with 426
//
// In a container whose main process (PID 1) is `mcpload watch`, which serves nothing, the first form
// checks what the watch needs instead: that it can reach its replicas (one of its --from URLs
// answers /healthz, or its --dns name resolves to at least one address).
import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';

const TIMEOUT_MS = 3000;

function metricsPort(env) {
  const own = env.MCPLOAD_METRICS_PORT;
  if (own !== undefined && own !== '') return Number(own);
  if (env.METRICS_ENABLED !== undefined && /^(false|0|no|off)$/i.test(env.METRICS_ENABLED.trim())) return 0;
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== '') return Number(env.METRICS_PORT);
  return 9464;
}

/** Where the run's metrics endpoint answers from inside its container. */
function metricsHost(env) {
  const host = env.MCPLOAD_METRICS_HOST?.trim();
  if (!host || host === '0.0.0.0' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The main process's arguments after `watch`, when this container runs `mcpload watch`. */
function watchArgs() {
  try {
    const argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    const at = argv.indexOf('watch');
    return at > 0 && /(^|\/)(bin\.js|mcpload)$/.test(argv[at - 1]) ? argv.slice(at + 1) : undefined;
  } catch {
    return undefined;
  }
}

/** An option's values in an argv (`--from a --from b,c`, `--from=a`). */
function values(argv, flag) {
  const out = [];
  argv.forEach((a, i) => {
    if (a === flag && i + 1 < argv.length) out.push(argv[i + 1]);
    else if (a.startsWith(`${flag}=`)) out.push(a.slice(flag.length + 1));
  });
  return out.flatMap((v) => v.split(',')).filter(Boolean);
}

async function watchHealthy(argv) {
  const [name] = values(argv, '--dns');
  if (name) {
    const host = name.replace(/:\d+$/, '');
    try {
      const found = await lookup(host, { all: true });
      if (found.length) return 0;
    } catch (err) {
      process.stderr.write(`healthcheck: watch: ${host} does not resolve (${err?.code ?? err})\n`);
    }
    return 1;
  }
  for (const from of values(argv, '--from')) if ((await probe(new URL('/healthz', from).href, 200, false)) === 0) return 0;
  process.stderr.write('healthcheck: watch: none of its replicas answers /healthz\n');
  return 1;
}

async function probe(target, want, say = true) {
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    if (res.status === want) return 0;
    if (say) process.stderr.write(`healthcheck: ${target} answered ${res.status}, expected ${want}\n`);
  } catch (err) {
    if (say) process.stderr.write(`healthcheck: ${target}: ${err?.cause?.code ?? err?.message ?? err}\n`);
  }
  return 1;
}

async function check() {
  const [url, status] = process.argv.slice(2);
  let target = url;
  const watch = target ? undefined : watchArgs();
  if (watch) return watchHealthy(watch);
  if (!target) {
    const port = metricsPort(process.env);
    if (port === 0) return 0;
    target = `http://${metricsHost(process.env)}:${port}/healthz`;
  }
  return probe(target, Number(status ?? 200));
}

process.exitCode = await check();
