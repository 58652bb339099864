# syntax=docker/dockerfile:1
# The mcpload image: `mcpload` is the entrypoint, configured by environment variables (MCPLOAD_*, or
# the old simulator's CLIENT_TYPE, TARGET_SERVERS, ...), metrics on 9464. See "Distributed runs" in
# README.md, deploy/swarm/stack.yml and deploy/kubernetes/ for what runs it.
#
#   docker build -t mcpload:0.1.0 .
#   docker run --rm -e MCPLOAD_URL=ws://host:8080/mcp/ws -e MCPLOAD_PROFILE=normal -p 9464:9464 mcpload:0.1.0
#
# Behind a TLS-intercepting proxy, hand npm the proxy's CA bundle (a public certificate, not a
# credential; it is mounted for the install step only and never stored in a layer):
#   docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt -t mcpload:0.1.0 .
# deploy/rehearse.sh builds and runs this file with podman in CI, on base images it makes locally.
ARG NODE_VERSION=20.19.5

# 1. modules: every dependency, installed once from the lock file (the only step that needs the
# registry). --ignore-scripts: the package's own `prepare` is a build and needs src/, which comes
# later (so this layer is cached until the lock file changes); the two native addons are built, or
# their prebuilds picked, explicitly. This image has a compiler, so they also build on platforms
# without a prebuild (arm64).
FROM node:${NODE_VERSION}-bookworm AS modules
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi \
 && npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild bufferutil utf-8-validate \
 && npm cache clean --force

# 2. build: TypeScript -> dist/.
FROM modules AS build
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# 3. deps: runtime dependencies only (uplot included: the HTML report inlines it), the same
# installed tree with the devDependencies removed (npm ci --omit=dev would fetch it all again).
FROM modules AS deps
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# 4. runtime: the slim image, the package laid out as npm would install it (profiles/, schema/ and plans/
# are read at run time relative to the package root, /app).
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY package.json ./
COPY profiles ./profiles
COPY schema ./schema
COPY plans ./plans
COPY --from=build /src/dist ./dist
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
# `mcpload` on the PATH (for `docker exec`, `--entrypoint sh`), and /reports owned by the runtime
# user so a named volume mounted there starts writable.
RUN chmod 0755 /app/dist/bin.js \
 && ln -s /app/dist/bin.js /usr/local/bin/mcpload \
 && mkdir -p /reports \
 && chown node:node /reports
# The image's `node` user (uid 1000): nothing runs as root.
USER node
# No MCPLOAD_* defaults here on purpose: MCPLOAD_* win over the old simulator's variables, so an
# image default would silently shadow CLIENT_TYPE, DURATION_SECONDS or METRICS_PORT set by a stack.
# Set MCPLOAD_DURATION=0 to run until the container is stopped (the stack does). The one exception: the
# metrics host (no old variable to shadow) is all interfaces here, where Prometheus scrapes from outside.
ENV MCPLOAD_METRICS_HOST=0.0.0.0
EXPOSE 9464
# The first SIGTERM stops sending, drains in-flight requests for up to 5 s, writes the report and
# exits 143: give the container a stop grace period above that (the stack uses 30 s).
STOPSIGNAL SIGTERM
# node, not curl: the slim image has no curl. Healthy while /healthz answers 200 (and always when the
# metrics endpoint is turned off); the open-files limit is raised by the stack (ulimits), not here.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
# The bin itself, not `node dist/bin.js`: its first line starts Node with the V8 pool mcpload runs with
# (src/bin.ts says why); env execs node, so node is still PID 1 and takes the stop signal.
ENTRYPOINT ["/app/dist/bin.js"]
# `run` takes every option from the environment; `serve --host 0.0.0.0` makes this the reference target.
CMD ["run"]
