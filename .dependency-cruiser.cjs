/**
 * The layering rule, checked on every `npm test` (`npm run layers`). Arrows point inwards:
 *
 *   handlers (lambdas/<verb-noun>/handler.ts), lambdas/common (wiring)
 *     → lambdas/adapters → lambdas/use-cases (+ ports) → lambdas/domain
 *     lambdas/api (the HTTP contract) → lambdas/domain
 *   definitions/ is plain data that the stack (lib/) and the runtime (lambdas/) both import.
 *
 * docs/architecture.md explains each layer; docs/adr/0013-lint-and-layering.md why this tool.
 */
const HANDLER = '^lambdas/[a-z-]+/handler\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'The domain imports only itself and the shared definitions: no SDK, no use case, adapter, API schema or wiring.',
      severity: 'error',
      from: { path: '^lambdas/domain/' },
      to: { pathNot: ['^lambdas/domain/', '^definitions/', '^(node:)?crypto$'] },
    },
    {
      name: 'use-cases-see-ports-only',
      comment:
        'Use cases talk to the world through their ports (lambdas/use-cases/ports*): never an adapter, the HTTP contract, the wiring or an SDK.',
      severity: 'error',
      from: { path: '^lambdas/use-cases/' },
      to: { pathNot: ['^lambdas/use-cases/', '^lambdas/domain/', '^definitions/', '^(node:)?crypto$'] },
    },
    {
      name: 'adapters-do-not-call-use-cases',
      comment: 'An adapter implements a port; it does not drive a use case, another handler or the wiring.',
      severity: 'error',
      from: { path: '^lambdas/adapters/' },
      to: { path: ['^lambdas/use-cases/(?!ports)', HANDLER, '^lambdas/common/deps\\.ts$'] },
    },
    {
      name: 'stored-items-are-not-the-public-json',
      comment: "Adapters map domain objects to their own stored or wire shapes; the public API schemas are the HTTP layer's.",
      severity: 'error',
      from: { path: '^lambdas/adapters/' },
      to: { path: '^lambdas/api/' },
    },
    {
      name: 'wiring-is-not-a-handler',
      severity: 'error',
      from: { path: '^lambdas/common/' },
      to: { path: HANDLER },
    },
    {
      name: 'api-contract-is-not-runtime',
      comment: 'The HTTP contract (zod schemas, OpenAPI) depends on the domain model, never on use cases, adapters or wiring.',
      severity: 'error',
      from: { path: '^lambdas/api/' },
      to: { path: ['^lambdas/use-cases/', '^lambdas/adapters/', '^lambdas/common/', HANDLER] },
    },
    {
      name: 'handlers-do-not-import-handlers',
      comment: 'Each function is its own bundle: sharing code goes through common/, use-cases/ or adapters/.',
      severity: 'error',
      from: { path: '^lambdas/([a-z-]+)/handler\\.ts$' },
      to: { path: HANDLER, pathNot: '^lambdas/$1/' },
    },
    {
      name: 'runtime-stays-out-of-the-stack',
      comment: 'Lambda code never reaches into the CDK app, local mode, the CLIs, benchmarks or tests.',
      severity: 'error',
      from: { path: '^lambdas/' },
      to: { path: ['^lib/', '^local/', '^bin/', '^bench/', '^test/'] },
    },
    {
      name: 'definitions-are-plain-data',
      comment: 'definitions/ is shared by the stack and the runtime: it imports nothing but itself and zod.',
      severity: 'error',
      from: { path: '^definitions/' },
      to: { pathNot: ['^definitions/', '(^|/)node_modules/zod/'] },
    },
    {
      name: 'stack-does-not-run-the-runtime',
      comment: 'The CDK app may use the shared definitions and pure domain checks, not handlers, use cases or adapters.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: ['^lambdas/(?!domain/)', '^local/', '^test/', '^bench/'] },
    },
    {
      name: 'sandbox-is-an-independent-oracle',
      comment: "The Pinterest sandbox plays Pinterest in tests: it must not share pinrelay's own schemas or domain rules.",
      severity: 'error',
      from: { path: '^local/pinterest-sandbox' },
      to: { path: '^lambdas/' },
    },
    {
      name: 'console-sees-the-api-only-over-http',
      comment:
        'The web console (console/src) is a browser bundle built on the public API: it imports itself and its npm packages, never pinrelay code (its API types are generated from the OpenAPI document).',
      severity: 'error',
      from: { path: '^console/src/' },
      to: { pathNot: ['^console/src/', '(^|/)node_modules/'] },
    },
    {
      name: 'console-tools-read-the-contract-only',
      comment:
        'The console build tools may read the HTTP contract (to generate types from the OpenAPI document), nothing else of pinrelay.',
      severity: 'error',
      from: { path: '^console/tools/' },
      to: { path: ['^lambdas/(?!api/)', '^lib/', '^local/', '^bin/', '^bench/', '^test/'] },
    },
    {
      name: 'nothing-imports-the-console',
      comment: 'The console is a separate app; only its own tests import its modules.',
      severity: 'error',
      from: { pathNot: ['^console/', '^test/'] },
      to: { path: '^console/' },
    },
    {
      name: 'nothing-imports-tests',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle means two modules are one concern, or a port is missing.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'aws-lambda is a types-only package (@types/aws-lambda): its imports are erased.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^aws-lambda$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^cdk\\.out', '^node_modules', '^console/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
