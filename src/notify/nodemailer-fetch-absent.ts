// Takes the place of nodemailer's HTTP client (its `fetch` module) in the daemon's bundle
// (src/bundle.mjs). nodemailer's shared helpers load it for message parts given by URL; backsoon
// hands nodemailer's SMTP connection finished messages as strings, so nothing calls it. Bundled
// as nodemailer ships it, the first mail also loaded node's http, https and zlib: ~30 ms in the
// middle of the first recovery and 5.4 MiB of RSS for good (docs/PERFORMANCE.md, "nodemailer's
// HTTP client left out").

export default function fetchAbsent(url: unknown): never {
  throw new Error(`backsoon's bundle has no HTTP client for mail content (asked for ${String(url)})`);
}
