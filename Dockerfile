# One image for the worker, the gateway and the CLI; the command picks which (docs/deployment.md).
# Node 24 LTS: the lowest release of this tag satisfies every installed package's `engines`
# (content-type 3.1 wants node >= 22, ESLint 10 >= 22.13); test/deploy-image.test.ts checks.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# The data directory (demo world, keys; evidence too without a bucket) belongs to the runtime user,
# else EACCES. Kubernetes mounts an emptyDir there and on /tmp (tsx's compile cache), the rest of
# the filesystem read-only.
RUN mkdir -p /data && chown 1000:1000 /data
ENV TOURNIQUET_DATA_DIR=/data
# The image's `node` user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
CMD ["node", "--import", "tsx", "worker/main.ts"]
