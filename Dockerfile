# skinsight: one image for both roles of the distributed layout (docker-compose.yml):
#   API:    node --import tsx src/cli/main.ts serve
#   worker: node --import tsx src/cli/main.ts worker
# Not built or run on the development machines (no Docker engine there); see README "Deploy at scale".
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production
# better-sqlite3, sharp and onnxruntime-node ship prebuilt binaries for linux-x64 glibc.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY models ./models
COPY bin ./bin
# The built web app (npm run build:web) is served by the API when present.
COPY web/dist ./web/dist

USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--import", "tsx", "src/cli/main.ts"]
CMD ["serve"]
