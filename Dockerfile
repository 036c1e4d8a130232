# Coffer's container image: the server and web app built as `npm run build` builds them, run as `npm start` runs
# them (without the rebuild `npm start` does first), as an unprivileged user with its data in one volume.
# docs/DEPLOY.md says how to run it, and that it has not been built on a container engine by the project's tests;
# tests/server/container.test.ts checks what can be checked without one.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY drizzle ./drizzle
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/build ./web/build
# The embedded database and the local blob store live here unless DATABASE_URL and BLOB_STORE=s3 say otherwise.
RUN mkdir /data && chown node:node /data
USER node
ENV HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--heap-growing-percent=300", "dist/main.js"]
