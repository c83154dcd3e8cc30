# One image for the worker and the gateway; the command picks which.
# Node 22: a dependency (content-type 3.1) declares node >= 22.
FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The evidence store and demo data live in /data: the runtime user must own it (else EACCES).
RUN mkdir -p /data && chown node:node /data
USER node
CMD ["node", "--import", "tsx", "worker/main.ts"]
