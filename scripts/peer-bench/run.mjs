// Runs one benchmark state machine on the peer, the npm package aws-local-stepfunctions, and
// prints one JSON object with what was measured. Task states run the local functions of
// functions.mjs through the peer's overrides.taskResourceLocalHandlers.
//
// Usage: node run.mjs --definition FILE --input FILE [--executions N] [--warmup N]
//        [--concurrency N] [--seconds S]
// Executions are started in a closed loop: --concurrency of them are in flight at any time, each
// one started as another ends. Latency is from run() to the end of the execution's result.
// The run stops after --seconds or --executions measured executions, whichever is first; the
// warm-up (--warmup executions) is bounded by --seconds too.
// The peer package is loaded from $PEER_DIR (default .cache/peer-bench under the repository).
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { handlerFor } from './functions.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const peerDir = process.env.PEER_DIR ?? join(root, '.cache', 'peer-bench');
const peerPackage = join(peerDir, 'node_modules', 'aws-local-stepfunctions');
const { StateMachine } = await import(pathToFileURL(join(peerPackage, 'build', 'main.node.esm.js')).href);
const peerVersion = JSON.parse(readFileSync(join(peerPackage, 'package.json'), 'utf8')).version;

const { values: args } = parseArgs({
  options: {
    definition: { type: 'string' },
    input: { type: 'string' },
    executions: { type: 'string', default: '1000000' },
    warmup: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
  },
});
function positive(name, min = 1) {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, not ${args[name]}`);
  return n;
}
if (!args.definition || !args.input) throw new Error('--definition and --input are required');
const executions = positive('executions');
const warmup = positive('warmup', 0);
const concurrency = positive('concurrency');
const seconds = Number(args.seconds);
if (!(seconds > 0)) throw new Error(`--seconds must be positive, not ${args.seconds}`);

const definition = JSON.parse(readFileSync(args.definition, 'utf8'));
const input = JSON.parse(readFileSync(args.input, 'utf8'));

// taskStates lists every Task state of a definition, nested branches and item processors too.
function taskStates(def, out = []) {
  for (const [name, state] of Object.entries(def?.States ?? {})) {
    if (state.Type === 'Task') out.push([name, state]);
    for (const branch of state.Branches ?? []) taskStates(branch, out);
    if (state.Iterator) taskStates(state.Iterator, out);
    if (state.ItemProcessor) taskStates(state.ItemProcessor, out);
  }
  return out;
}
const taskResourceLocalHandlers = Object.fromEntries(taskStates(definition).map(([name, state]) => [name, handlerFor(state.Resource)]));
const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });

// runOne runs one execution and returns its output; a failed execution throws.
async function runOne() {
  const execution = machine.run(input, { overrides: { taskResourceLocalHandlers } });
  return execution.result;
}

// runLoop runs `count` executions with `concurrency` in flight, until `deadline` (ms, from
// performance.now()), and returns the latencies in milliseconds.
async function runLoop(count, deadline) {
  const latencies = [];
  let started = 0;
  let lastOutput;
  async function lane() {
    while (started < count && performance.now() < deadline) {
      started++;
      const t0 = performance.now();
      lastOutput = await runOne();
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { latencies, lastOutput };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const output = await runOne();
if (warmup > 0) await runLoop(warmup, performance.now() + seconds * 1000);
const t0 = performance.now();
const { latencies } = await runLoop(executions, t0 + seconds * 1000);
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const result = {
  engine: 'peer',
  mode: 'memory',
  engineVersion: `aws-local-stepfunctions ${peerVersion}`,
  runtime: `node ${process.version}`,
  concurrency,
  warmup,
  executions: latencies.length,
  seconds: elapsed,
  perSecond: latencies.length / elapsed,
  p50Ms: percentile(latencies, 50),
  p99Ms: percentile(latencies, 99),
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  output,
};
process.stdout.write(JSON.stringify(result) + '\n');
