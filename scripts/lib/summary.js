// Prints the suite's closing line, "Total: N passed, N failed", from the JSON reports of
// Jest and Playwright (`summary.js JEST_JSON|- PLAYWRIGHT_JSON`). A report that is missing counts as one failure: a runner that
// crashed before reporting must not look like a pass.
const fs = require('fs');

function read(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const [jestFile, playwrightFile] = process.argv.slice(2);

// "-" for Jest: the run had no Jest stage (`./k2 test e2e`).
const jest = jestFile === '-' ? undefined : read(jestFile);
if (jestFile === '-') {
  // Nothing to count.
} else if (jest) {
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + (jest.numRuntimeErrorTestSuites ?? 0);
  skipped += jest.numPendingTests;
} else {
  failed += 1;
}

if (fs.existsSync(playwrightFile) || process.env.CI === 'true') {
  const playwright = read(playwrightFile);
  if (playwright) {
    passed += playwright.stats.expected + playwright.stats.flaky;
    failed += playwright.stats.unexpected;
    skipped += playwright.stats.skipped;
  } else {
    failed += 1;
  }
}

console.log(
  `Total: ${passed} passed, ${failed} failed${
    skipped ? `, ${skipped} skipped` : ''
  }`,
);
