// Prints the run's totals as one plain closing line ("N passed, N failed") that any CI can read.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    const line = `${results.numPassedTests} passed, ${results.numFailedTests + results.numRuntimeErrorTestSuites} failed${tail}`;
    // At exit, so it comes after Jest's own summary (stderr to a pipe is synchronous on Linux).
    process.once('exit', () => process.stderr.write(`\n${line}\n`));
  }
}
