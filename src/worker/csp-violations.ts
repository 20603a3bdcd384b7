/**
 * Reports the worker's Content-Security-Policy violations on its console. The browser reports
 * a worker's violations only to the worker itself (its `securitypolicyviolation` event), not on
 * the page's console where a person or a test would look. Imported first by the worker.
 */
self.addEventListener('securitypolicyviolation', (event) => {
  console.error(
    `CSP violation in the worker: ${event.violatedDirective} blocked ` +
      `${event.blockedURI || 'inline code'} (${event.sourceFile}:${event.lineNumber})`,
  );
});
