/** One Jest run for unit tests (beside the code) and end-to-end tests (under test/). */
const aliases = {
  '^@gcpa/money$': '<rootDir>/libs/money/src',
  '^@gcpa/database$': '<rootDir>/libs/database/src',
  '^@gcpa/config$': '<rootDir>/libs/config/src',
  '^@gcpa/gift-card-provider$': '<rootDir>/libs/gift-card-provider/src',
  '^@gcpa/clutch$': '<rootDir>/libs/clutch/src',
};

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/soak/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: aliases,
  // Type checking happens in `npm run build`; transpiling file by file keeps the test run fast.
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: false }],
    // ESM-only dependencies (of @fastify/static, which serves the docs page) compiled to CommonJS for Jest;
    // plain Node 20 loads them natively.
    '/node_modules/content-disposition/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true }, diagnostics: false },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
