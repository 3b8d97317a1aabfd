// Reads the config webhook sections (schema in config/schema.ts) into WebhookConfig, with the
// checks the schema cannot express: the URL's scheme and form, one section per URL.
import type { SectionReader } from '../config/section-reader';
import type { WebhookConfig, WebhookEvent } from '../config/types';

/** Why `text` cannot be a webhook URL, or null when it can. */
export function webhookUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL; write it as https://host/path';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `has the scheme ${url.protocol}; only http:// and https:// are posted to`;
  if (url.username !== '' || url.password !== '') return 'holds a user name or password; remove it (use option secret to authenticate the requests)';
  if (url.hash !== '') return "holds a '#' fragment, which is never sent; remove it";
  return null;
}

export function readWebhooks(readers: readonly SectionReader[]): WebhookConfig[] {
  const webhooks: WebhookConfig[] = [];
  const byUrl = new Map<string, { label: string; line: number }>();
  for (const r of readers) {
    const url = r.maybe('url', 'text');
    const secret = r.maybe('secret', 'text');
    // the enum parser admits only the schema's words, which are exactly this union
    const events = r.many('event', 'enum') as WebhookEvent[];
    const timeout = r.value('timeout', 'duration');
    if (url === null) continue;
    const problem = webhookUrlProblem(url);
    if (problem !== null) {
      r.error(r.lineOf('url'), `option url in section ${r.label} (config webhook) ${problem}`);
      continue;
    }
    const key = new URL(url).href;
    const earlier = byUrl.get(key);
    if (earlier !== undefined) {
      r.error(r.lineOf('url'), `option url in section ${r.label}: section ${earlier.label} at line ${earlier.line} has the same URL; ` +
        'give each URL one section (list event takes several events)');
      continue;
    }
    byUrl.set(key, { label: r.label, line: r.lineOf('url') });
    if (secret === null) {
      r.warn(r.line, `section ${r.label} (config webhook) has no option secret: the receiver cannot tell backsoon's requests from forged ones`);
    }
    if (url.startsWith('http:') && secret !== null) {
      r.warn(r.lineOf('url'), `option url in section ${r.label} is plain http: the events (client addresses) travel unencrypted; prefer https`);
    }
    if (events.length === 0) r.warn(r.lineOf('event'), `section ${r.label} (config webhook) lists no event, so nothing is posted`);
    webhooks.push({ url, secret, events, timeout });
  }
  return webhooks;
}
