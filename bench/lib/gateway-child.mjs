// A gateway in its own process, from the core build at argv[2] (this tree's or an old
// commit's), with the static admin token and one real shell session that swallows input
// (`stty -echo; cat >/dev/null`: no output, so only the request path is measured).
// Prints `ready <url> <session id>`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { createGateway } = await import(process.argv[2]);
const token = process.argv[3];
const gateway = await createGateway({ auth: { adminToken: token }, workspaceRoot: mkdtempSync(join(tmpdir(), 'opendray-bench-')) });
const { url } = await gateway.listen(0, '127.0.0.1');
const res = await fetch(`${url}/api/v1/sessions`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ provider_id: 'shell', args: ['-c', 'stty -echo; exec cat >/dev/null'] }),
});
const session = await res.json();
if (res.status !== 201) throw new Error(`session: ${res.status} ${JSON.stringify(session)}`);
console.log(`ready ${url} ${session.id}`);
process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
