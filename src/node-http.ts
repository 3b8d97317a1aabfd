// Node's http and https modules, required at first use. A router's daemon at rest serves no page
// (the stand-in listens only while a server is down), sends no webhook and often has no metrics
// listener, and the two modules (https brings tls with it) cost ~1.2 MiB of RSS once loaded
// (docs/PERFORMANCE.md, "Idle memory on the boards"). Types come from the modules themselves.
import type * as Http from 'node:http';
import type * as Https from 'node:https';

let http: typeof Http | null = null;
let https: typeof Https | null = null;

export function nodeHttp(): typeof Http {
  return http ??= require('node:http') as typeof Http;
}

export function nodeHttps(): typeof Https {
  return https ??= require('node:https') as typeof Https;
}
