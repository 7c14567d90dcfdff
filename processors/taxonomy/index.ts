export { FailureClassifier } from './classifier.ts';
