// dockerode-check.js SOCKET MODE [ARGS...] - drives dockerode against a
// Docker-API socket and prints one JSON document of what it saw, for
// tests/integration/test_docker_api_node.py (which runs it as each tenant).
//   run IMAGE NAME   ping, create + start + wait + logs; keeps the container
//   look ID NAME     list, inspect and remove by id and by name: 404 expected
//   rm ID            removes the container
'use strict';
const Docker = require('dockerode');

const [sock, mode, ...args] = process.argv.slice(2);
const docker = new Docker({ socketPath: sock });

// non-TTY logs are the 8-byte multiplexed frames: 1 stdout, 2 stderr
function demux(buf) {
  const out = { stdout: '', stderr: '' };
  let i = 0;
  while (i + 8 <= buf.length) {
    const kind = buf[i];
    const size = buf.readUInt32BE(i + 4);
    const part = buf.subarray(i + 8, i + 8 + size).toString();
    if (kind === 1) out.stdout += part;
    else if (kind === 2) out.stderr += part;
    i += 8 + size;
  }
  if (i !== buf.length) throw new Error('trailing bytes in a log stream');
  return out;
}

async function status(p) {
  try {
    await p;
    return 200;
  } catch (e) {
    return { code: e.statusCode, message: e.json && e.json.message };
  }
}

async function run(image, name) {
  const ping = (await docker.ping()).toString();
  const c = await docker.createContainer({
    Image: image, name, Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 7'],
    Labels: { via: 'dockerode' },
  });
  await c.start();
  const waited = await c.wait();
  const logs = demux(await c.logs({ stdout: true, stderr: true }));
  const info = await c.inspect();
  const listed = (await docker.listContainers({ all: true })).map((x) => x.Id);
  const named = (await docker.listContainers({ all: true, filters: { name: [name] } }))
    .map((x) => x.Names);
  return { ping, id: c.id, code: waited.StatusCode, logs, name: info.Name,
    labels: info.Config.Labels, listed, named };
}

async function look(id, name) {
  const listed = (await docker.listContainers({ all: true })).map((x) => x.Id);
  const out = { listed };
  for (const ref of [id, name]) {
    const c = docker.getContainer(ref);
    out[ref] = { inspect: await status(c.inspect()), logs: await status(c.logs({ stdout: true })),
      remove: await status(c.remove({ force: true })) };
  }
  return out;
}

async function main() {
  let out;
  if (mode === 'run') out = await run(args[0], args[1]);
  else if (mode === 'look') out = await look(args[0], args[1]);
  else if (mode === 'rm') out = { removed: await status(docker.getContainer(args[0]).remove({ force: true })) };
  else throw new Error('unknown mode ' + mode);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write('dockerode-check: ' + (e.stack || e) + '\n');
  process.exit(1);
});
