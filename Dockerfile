# skinsight: one image for both roles of the distributed layout (docker-compose.yml):
#   API:    node dist/cli/main.js serve   (the default command)
#   worker: node dist/cli/main.js worker
#
#   docker build -t skinsight .                      # official Node image, packages from the npm registry
# Offline with podman and local bases (what `npm run test:container` does, see README "Containers"):
#   podman build --network host -v ~/.npm:/root/.npm:O \
#     --build-arg BASE=localhost/skinsight-base/node:20 --build-arg NPM_CI_FLAGS=--offline -t skinsight .
ARG BASE=node:20-bookworm-slim

# ---- build: all packages, the web app, native addons; then only the production packages remain.
FROM ${BASE} AS build
# node-gyp's needs: better-sqlite3 compiles from source (no prebuilt binary is fetched).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# No CUDA download for onnxruntime-node: package.json's allowScripts denies its postinstall
# (npm >= 11.19); the base's older npm ignores that field, so the env var its script reads says it too.
COPY package.json package-lock.json .npmrc ./
# The npm workspace (the typed client, which the web app is built with): npm ci needs its package.json.
COPY packages/client/package.json ./packages/client/
ARG NPM_CI_FLAGS=""
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_build_from_source=better-sqlite3
# Node's headers come with the base (its prefix/include/node), so node-gyp downloads none.
RUN npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")" \
    npm ci --no-audit --no-fund $NPM_CI_FLAGS
COPY packages ./packages
COPY web ./web
COPY src ./src
COPY tsconfig.json tsconfig.build.json ./
# The TypeScript to JavaScript in dist/ (tsx is a dev dependency: production runs plain node).
RUN npm run build
# Production packages only, and onnxruntime-node's binaries for this platform only (the others are ~250 MB).
RUN npm prune --omit=dev --no-audit --no-fund $NPM_CI_FLAGS \
 && arch="$(node -p process.arch)" \
 && find node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 2 -type d ! -name linux -exec rm -rf {} + \
 && find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 -type d ! -name "$arch" -exec rm -rf {} + \
 && rm -rf node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/deps \
 && node -e "require('better-sqlite3')(':memory:').close(); require('onnxruntime-node'); require('sharp')"

# ---- runtime: the emitted JavaScript, production packages, models and the built web app.
FROM ${BASE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SKINSIGHT_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY models ./models
COPY --from=build /app/web/dist ./web/dist
# The SQLite database and uploads of a single-container run; unused with PostgreSQL.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# The API's liveness route; the compose file points the worker's check at its metrics port.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
