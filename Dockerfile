# syntax=docker/dockerfile:1
# Airlock server image (Node.js 20, the supported range is package.json's engines):
# `docker build -t airlock .`, then
#   docker run -p 8080:8080 -v airlock-data:/var/lib/airlock airlock
# Configure it with the AIRLOCK_* variables (config/airlock.example.yaml lists them all) or mount a
# YAML file and set AIRLOCK_CONFIG. docker-compose.yml runs it with PostgreSQL and a registry.

# ---- build: install everything, compile, then drop the dev dependencies ----
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; no dependency needs a script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && rm -f dist/.tsbuildinfo \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: production dependencies, compiled code, migrations; runs as a non-root user ----
FROM node:20-slim
# Programs the server runs: unsquashfs reads meta/snap.yaml out of imported snaps.
RUN apt-get update \
 && apt-get install -y --no-install-recommends squashfs-tools \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    AIRLOCK_HOST=0.0.0.0 \
    AIRLOCK_PORT=8080 \
    AIRLOCK_DATA_DIR=/var/lib/airlock
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY migrations ./migrations
# `airlock` on PATH, so `docker compose exec airlock airlock list charms` works as on a host.
RUN ln -s /app/bin/airlock.js /usr/local/bin/airlock
# The data dir belongs to the unprivileged `node` user (uid 1000) of the base image; a new named
# volume mounted here inherits that ownership.
RUN mkdir -p /var/lib/airlock && chown node:node /var/lib/airlock
VOLUME ["/var/lib/airlock"]
USER node
EXPOSE 8080
# node:20-slim has no curl or wget: probe with node's own fetch. 200 only when the database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.AIRLOCK_PORT||8080)+'/_status/check',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) lets in-flight requests finish, then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/airlock.js"]
CMD ["serve"]
