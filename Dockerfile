# One image for the worker and the gateway; the command picks which.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
CMD ["node", "--import", "tsx", "worker/main.ts"]
