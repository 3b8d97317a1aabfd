// Takes the place of nodemailer's HTTP client (its `fetch` module) in the daemon's bundle
// (src/bundle.mjs). nodemailer's shared helpers load it for message parts given by URL; backsoon
// hands nodemailer's SMTP connection finished messages as strings, so nothing calls it. Bundled
// as nodemailer ships it, the first mail also loaded node's http, https and zlib: 8 ms more in
// the middle of the first recovery and 0.8 MiB more RSS for good in the daemon (docs/PERFORMANCE.md,
// "The first notice at 10,000 clients").

export default function fetchAbsent(url: unknown): never {
  throw new Error(`backsoon's bundle has no HTTP client for mail content (asked for ${String(url)})`);
}
