import { createGateway } from './dist/index.js';
const g = await createGateway({ auth: { adminToken: 'bench-admin-token-0123456789' }, bcryptCost: 4, sandbox: 'off', providers: [{ id: 'sh', display_name: 'sh', kind: 'shell', command: '/bin/sh', args: ['-c', 'stty -echo; cat >/dev/null'], submit_key: '\n', config_schema: {} }] });
const { url } = await g.listen(0, '127.0.0.1');
const res = await fetch(url + '/api/v1/sessions', { method: 'POST', headers: { authorization: 'Bearer bench-admin-token-0123456789', 'content-type': 'application/json' }, body: '{"provider_id":"sh"}' });
const s = await res.json();
process.stdout.write(`READY ${url} ${s.id}\n`);
process.on('SIGTERM', () => g.close().then(() => process.exit(0)));
