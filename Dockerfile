# The Tank World Net app image: one image for `tankworld server`, `gateway` and `migrate`
# (the command is the container's argument). Node 26 runs the TypeScript sources directly
# (type stripping), so there is no compile step: one stage installs production packages, one
# builds the web assets, and the runtime stage copies both beside the sources.
FROM node:26-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM node:26-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
# The dashboard and viewer (web/dist), built by the project's `build:web` script when it has one.
RUN npm run build:web --if-present && mkdir -p web/dist

FROM node:26-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    TANKWORLD_DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY drizzle ./drizzle
COPY --from=web /app/web/dist ./web/dist
# Non-root: the image's own `node` user (uid 1000) owns only the data folder.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080 8001
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8001)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "src/cli.ts"]
CMD ["server"]
