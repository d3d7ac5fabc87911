# syntax=docker/dockerfile:1
#
# telegate's container image. Build: `docker build -t telegate .` (or podman). Run: see README "Deploy".
#
# Base: node:24-bookworm-slim. Node 24 is the Active LTS line, the one this project declares (engines >=24)
# and is built and tested on (CI runs every test on it; scripts/node24.sh), so the image runs what was
# tested. bookworm (Debian 12) is the glibc userland CI runs on; slim leaves out compilers, git and curl,
# which telegate does not need at run time.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile TypeScript with the dev dependencies ------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency has an install script; the one it skips is our own `prepare` (tsc),
# which needs the sources copied below. Keeping them apart caches this layer until the lock file changes.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build

# --- run: production dependencies, the compiled gateway, the shipped policy packs -----------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    TELEGATE_POLICIES=/etc/telegate/policies \
    TELEGATE_AUDIT_DIR=/var/lib/telegate/audit \
    TELEGATE_DATA_DIR=/var/lib/telegate/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
# dist/src only: the benchmarks are compiled with it but never run in a deployment.
COPY --from=build /app/dist/src ./dist/src
COPY bin ./bin
# Baked in, owned by root and read-only to telegate; mount a folder over it to run your own policies
# (a ConfigMap in Kubernetes). telegate reloads when the folder changes.
COPY policies /etc/telegate/policies
# The only places telegate writes. 0700 as the audit writer wants its folder; the node user owns them, so
# a fresh named volume mounted here starts with the right owner and mode.
RUN mkdir -p /var/lib/telegate/audit /var/lib/telegate/data \
 && chown -R 1000:1000 /var/lib/telegate \
 && chmod 0700 /var/lib/telegate/audit /var/lib/telegate/data
VOLUME ["/var/lib/telegate/audit", "/var/lib/telegate/data"]
# The base image's `node` user, written as numbers so Kubernetes' runAsNonRoot can check it.
USER 1000:1000
# The egress port. The admin port (9090) binds 127.0.0.1 unless configured otherwise, so it is not
# published by default; Kubernetes probes need admin.host 0.0.0.0 (see deploy/kubernetes).
EXPOSE 8080
# Runs inside the container, so the loopback admin port answers. No curl in slim images: node's http.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('node:http').get({host:'127.0.0.1',port:process.env.TELEGATE_ADMIN_PORT||9090,path:'/healthz',timeout:3000},(r)=>process.exit(r.statusCode===200?0:1)).on('timeout',function(){this.destroy()}).on('error',()=>process.exit(1))"]
# node itself is PID 1 (exec form, no shell in between) and handles SIGTERM: telegate stops accepting,
# lets requests in flight finish, flushes and closes the audit log, and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/telegate.js"]
CMD ["serve"]
