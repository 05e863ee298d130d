#!/bin/sh
# Builds the workspace and leaves production dependencies only: the Dockerfile's build stage runs
# this, and so does the test that starts a production install from a clean copy.
# Usage: sh docker/prod-install.sh [extra pnpm install flags, e.g. --offline]
set -eu
# pnpm asks before it replaces a node_modules it did not make; there is nobody to answer.
export CI=true
corepack pnpm install --frozen-lockfile "$@"
corepack pnpm build
# A fresh install with --prod leaves out every devDependency (typescript, jest, biome,
# playwright...): reinstalling over the full tree would keep them in node_modules/.pnpm.
rm -rf node_modules apps/*/node_modules packages/*/node_modules
corepack pnpm install --frozen-lockfile --prod "$@"
# Build leftovers that a running gateway never reads.
find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete
