# FlowTrace services (processor, tail, executor, simulator): one image, the subcommand picks
# the role (see docker-compose.yml). TypeScript runs through tsx, so there is no build stage.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so source edits reuse this layer. tsx (the TypeScript loader the
# `flowtrace` bin uses) is a devDependency, hence a full install.
COPY package.json package-lock.json ./
# The lockfile lists this build machine's platform binaries only; `npm install` adds the image's.
RUN npm install --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node . .

USER node
# Kept out of the read-only source tree: embedded-mode data, caches, checkpoints.
ENV FLOWTRACE_HOME=/home/node/.flowtrace
EXPOSE 8787

ENTRYPOINT ["node", "bin/flowtrace.js"]
CMD ["--help"]
