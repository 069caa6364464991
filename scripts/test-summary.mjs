#!/usr/bin/env node
// Prints vitest's JSON report as one plain line: "tests: N passed, N failed".
import { readFileSync } from 'node:fs';

try {
  const report = JSON.parse(readFileSync('.test-results.json', 'utf8'));
  const skipped = report.numPendingTests + report.numTodoTests;
  console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
} catch (error) {
  console.log(`tests: no report (${error instanceof Error ? error.message : String(error)})`);
  process.exitCode = 1;
}
