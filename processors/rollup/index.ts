export { rollUpRun, type RunTotals } from './rollup.ts';
