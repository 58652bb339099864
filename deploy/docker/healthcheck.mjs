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

async function check() {
  const [url, status] = process.argv.slice(2);
  let target = url;
  if (!target) {
    const port = metricsPort(process.env);
    if (port === 0) return 0;
    target = `http://${metricsHost(process.env)}:${port}/healthz`;
  }
  const want = Number(status ?? 200);
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    if (res.status === want) return 0;
    process.stderr.write(`healthcheck: ${target} answered ${res.status}, expected ${want}\n`);
  } catch (err) {
    process.stderr.write(`healthcheck: ${target}: ${err?.cause?.code ?? err?.message ?? err}\n`);
  }
  return 1;
}

process.exitCode = await check();
