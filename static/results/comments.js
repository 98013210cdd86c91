/*
 * The comment form's proof-of-work check (ALTCHA), from our own files: the
 * widget without bundled styles or workers (its CSS is a file, so the strict
 * Content-Security-Policy holds) and the PBKDF2 worker as a file of its own.
 * The widget fetches its challenge from our server and solves it while the
 * reader writes. Without JavaScript none of this runs, and the comment waits
 * for a moderator. (After a refused post the list of what to fix takes the
 * focus by its autofocus attribute, with or without JavaScript.)
 */

await import("../vendor/altcha/external/altcha.min.js");
await import("../vendor/altcha/i18n/sv.js");
await import("../vendor/altcha/i18n/en.js");

const worker = new URL("../vendor/altcha/workers/pbkdf2.js", import.meta.url);
for (const name of ["PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512"]) {
  globalThis.$altcha.algorithms.set(name, () => new Worker(worker));
}
