FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY bench ./bench
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
ENV NODE_ENV=production HOST=0.0.0.0
# The same image runs either app: `node dist/apps/payment-adapter/src/main.js` or the sandbox's main.
CMD ["node", "dist/apps/payment-adapter/src/main.js"]
