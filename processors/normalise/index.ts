export { DialectNormaliser, detectDialect } from './normaliser.ts';
export { normaliseProvider } from './providers.ts';
