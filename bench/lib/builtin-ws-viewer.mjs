// A default-mode `/stream` viewer on Node's built-in WebSocket (undici; behind
// --experimental-websocket on Node 20), reading as fast as it can. Prints `OPEN`, then one
// JSON line when the socket closes: close code and reason, bytes received, how many
// reset-and-repaint resyncs it got, and whether the `ended` frame arrived.
const [url] = process.argv.slice(2);
const RESET = Buffer.from('\x18\x1bc');
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
let bytes = 0;
let resets = 0;
let ended = null;
const opened = performance.now();
ws.onopen = () => process.stdout.write('OPEN\n');
ws.onmessage = (e) => {
  if (typeof e.data === 'string') {
    ended = JSON.parse(e.data);
    return;
  }
  const chunk = Buffer.from(e.data);
  bytes += chunk.length;
  if (chunk.includes(RESET)) resets++;
};
ws.onclose = (e) => {
  process.stdout.write(`${JSON.stringify({ code: e.code, reason: e.reason, bytes, resets, ended, seconds: (performance.now() - opened) / 1000 })}\n`);
  process.exit(0);
};
ws.onerror = () => undefined;
