#!/usr/bin/env bash
# Deploy pinrelay's `dev` stage into a running LocalStack (docker compose -f localstack/docker-compose.yml up -d).
# Untested in this repository: its CI machine has no Docker engine. See localstack/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# The project's own CDK CLI (aws-cdk, pinned in package.json) is the one cdklocal wraps.
export PATH="$PWD/node_modules/.bin:$PATH"
export NODE_PATH="$PWD/node_modules${NODE_PATH:+:$NODE_PATH}"

export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
# LocalStack accepts any credentials; these are its documented dummy values, not secrets.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"

CDKLOCAL=(npx --yes aws-cdk-local@3.0.4)

if ! curl -fsS "$AWS_ENDPOINT_URL/_localstack/health" >/dev/null; then
  echo "LocalStack is not answering on $AWS_ENDPOINT_URL; start it with: docker compose -f localstack/docker-compose.yml up -d" >&2
  exit 1
fi

mkdir -p .tmp
"${CDKLOCAL[@]}" bootstrap -c pinrelay:stage=dev
"${CDKLOCAL[@]}" deploy --all --require-approval never -c pinrelay:stage=dev --outputs-file .tmp/localstack-outputs.json
echo "Stack outputs (TenantsTableName, JobsTableName, ApiUrl, …): .tmp/localstack-outputs.json"
