# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm ci --ignore-scripts && npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

# Run stage: production dependencies and the compiled code only, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TELEGATE_POLICIES=/etc/telegate/policies \
    TELEGATE_AUDIT_DIR=/var/lib/telegate/audit \
    TELEGATE_DATA_DIR=/var/lib/telegate/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY policies /etc/telegate/policies
RUN mkdir -p /var/lib/telegate && chown node:node /var/lib/telegate
USER node
VOLUME ["/var/lib/telegate"]
EXPOSE 8080 9090
# The admin port binds to loopback by default, which is also where the health check runs.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1's child via the exec form: SIGTERM reaches telegate, which drains and flushes the audit log.
ENTRYPOINT ["node", "bin/telegate.js"]
CMD ["serve"]
