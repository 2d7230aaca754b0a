// Lets a benchmark child report its own CPU time: answers {cmd:'cpu'} over IPC with
// process.cpuUsage() in µs (user + system), so a bench can compare the CPU one request
// costs in two servers — a figure the shared machine's load disturbs far less than wall time.
export function answerCpuProbes() {
  process.on('message', (m) => {
    if (m?.cmd !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    process.send({ cpu: user + system });
  });
}
