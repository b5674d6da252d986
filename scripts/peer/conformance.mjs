// Runs every conformance case (workflows/engine/conformance/testdata/cases) on the peer, the npm
// package aws-local-stepfunctions, and reports which cases agree with the expectation written in
// the case. Task states that call the suite's test Lambdas run the local functions of
// lambdas.mjs; Wait states and retry intervals are shortened to nothing.
//
// Usage: node scripts/peer/conformance.mjs [--verbose] [substring-of-case-id ...]
// The peer package is loaded from $PEER_DIR (default .cache/peer under the repository).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { lambdas, functionName } from './lambdas.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const casesDir = join(root, 'workflows', 'engine', 'conformance', 'testdata', 'cases');
const peerDir = process.env.PEER_DIR ?? join(root, '.cache', 'peer');
const peerEntry = join(peerDir, 'node_modules', 'aws-local-stepfunctions', 'build', 'main.node.esm.js');
const { StateMachine } = await import(pathToFileURL(peerEntry).href);

const region = 'us-east-1';
const account = '123456789012';
const caseTimeoutMs = 15_000;

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const filters = args.filter((a) => !a.startsWith('--'));

function listCases(dir) {
  const out = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listCases(path));
    else if (entry.endsWith('.json')) out.push(path);
  }
  return out;
}

// sameJSON is JSON equality with numbers compared by value (they all are in JavaScript).
function sameJSON(a, b) {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}

// taskStates lists every Task state of a definition, nested branches and iterators included.
function taskStates(definition, out = []) {
  for (const [name, state] of Object.entries(definition?.States ?? {})) {
    if (state.Type === 'Task') out.push([name, state]);
    for (const branch of state.Branches ?? []) taskStates(branch, out);
    if (state.Iterator) taskStates(state.Iterator, out);
    if (state.ItemProcessor) taskStates(state.ItemProcessor, out);
  }
  return out;
}

function waitStates(definition, out = []) {
  for (const [name, state] of Object.entries(definition?.States ?? {})) {
    if (state.Type === 'Wait') out.push(name);
    for (const branch of state.Branches ?? []) waitStates(branch, out);
    if (state.Iterator) waitStates(state.Iterator, out);
    if (state.ItemProcessor) waitStates(state.ItemProcessor, out);
  }
  return out;
}

function retryStates(definition, out = []) {
  for (const [name, state] of Object.entries(definition?.States ?? {})) {
    if (state.Retry) out.push(name);
    for (const branch of state.Branches ?? []) retryStates(branch, out);
    if (state.Iterator) retryStates(state.Iterator, out);
    if (state.ItemProcessor) retryStates(state.ItemProcessor, out);
  }
  return out;
}

// handlerFor returns the local function that stands in for a Task state's resource, or a reason
// why the peer cannot run it.
function handlerFor(state) {
  const resource = state.Resource ?? '';
  if (resource.startsWith('arn:aws:states:::lambda:invoke')) {
    if (resource !== 'arn:aws:states:::lambda:invoke') return { skip: `${resource} is not run by the peer` };
    return {
      handler: async (input) => {
        const fn = lambdas[functionName(String(input?.FunctionName ?? ''))];
        if (!fn) throw Object.assign(new Error(`no function ${input?.FunctionName}`), { name: 'Lambda.ResourceNotFoundException' });
        const payload = await fn(input.Payload ?? {});
        return {
          ExecutedVersion: '$LATEST',
          Payload: payload,
          SdkHttpMetadata: { HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: '00000000-0000-0000-0000-000000000000' },
          StatusCode: 200,
        };
      },
    };
  }
  if (resource.startsWith('arn:aws:lambda:')) {
    const fn = lambdas[functionName(resource)];
    if (!fn) return { skip: `no local function for ${resource}` };
    return { handler: fn };
  }
  return { skip: `resource ${resource} is not run by the peer` };
}

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no end within ${ms} ms`), { peerTimeout: true })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// runCase returns {verdict: 'agree'|'disagree'|'skip', detail}.
async function runCase(c, id) {
  const expect = c.expect ?? {};
  if (c.peerSkip) return { verdict: 'skip', detail: c.peerSkip };
  if (c.api) return { verdict: 'skip', detail: 'API scenario' };

  let machine;
  try {
    machine = new StateMachine(c.definition, { validationOptions: { checkArn: false } });
  } catch (err) {
    if (expect.createError) return { verdict: 'agree', detail: `refused: ${err.message}` };
    return { verdict: 'disagree', detail: `peer refused the definition: ${err.message}` };
  }
  if (expect.createError) return { verdict: 'disagree', detail: 'peer accepted a definition that must be refused' };

  const taskResourceLocalHandlers = {};
  for (const [name, state] of taskStates(c.definition)) {
    const { handler, skip } = handlerFor(state);
    if (skip) return { verdict: 'skip', detail: skip };
    taskResourceLocalHandlers[name] = handler;
  }
  // Waits are shortened to nothing, except where the case expects the Wait state itself to fail.
  const waitTimeOverrides =
    expect.status === 'FAILED' ? {} : Object.fromEntries(waitStates(c.definition).map((n) => [n, 0]));
  const retryIntervalOverrides = Object.fromEntries(retryStates(c.definition).map((n) => [n, 0]));
  const stateMachineName = c.stateMachineName ?? id.replace(/[^A-Za-z0-9_-]/g, '-');
  const executionName = c.executionName ?? 'conformance';
  const context = {
    Execution: {
      Id: `arn:aws:states:${region}:${account}:execution:${stateMachineName}:${executionName}`,
      Name: executionName,
      RoleArn: `arn:aws:iam::${account}:role/conformance`,
      RedriveCount: 0,
    },
    StateMachine: {
      Id: `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName}`,
      Name: stateMachineName,
    },
  };

  let output;
  let failure;
  try {
    const execution = machine.run(c.input ?? {}, {
      overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
      context,
    });
    output = await withTimeout(execution.result, caseTimeoutMs);
  } catch (err) {
    if (err.peerTimeout) return { verdict: 'disagree', detail: err.message };
    const cause = err.cause ?? err;
    failure = { error: cause.name, cause: cause.message };
    if (err.name === 'ExecutionTimeoutError') failure = { status: 'TIMED_OUT', error: 'States.Timeout' };
  }

  if (expect.status === 'SUCCEEDED') {
    if (failure) return { verdict: 'disagree', detail: `peer failed with ${failure.error}: ${failure.cause}` };
    if ('output' in expect && !sameJSON(expect.output, output)) {
      return { verdict: 'disagree', detail: `output ${JSON.stringify(output)}, want ${JSON.stringify(expect.output)}` };
    }
    return { verdict: 'agree' };
  }
  if (expect.status === 'FAILED' || expect.status === 'TIMED_OUT') {
    if (!failure) return { verdict: 'disagree', detail: `peer succeeded with ${JSON.stringify(output)}` };
    if (expect.status === 'TIMED_OUT') {
      return failure.status === 'TIMED_OUT' ? { verdict: 'agree' } : { verdict: 'disagree', detail: `peer failed with ${failure.error}` };
    }
    if (expect.error && expect.error !== failure.error) {
      return { verdict: 'disagree', detail: `error ${failure.error} (${failure.cause}), want ${expect.error}` };
    }
    if (expect.cause !== undefined && expect.cause !== failure.cause) {
      return { verdict: 'disagree', detail: `cause ${JSON.stringify(failure.cause)}, want ${JSON.stringify(expect.cause)}` };
    }
    if (expect.causeContains && !String(failure.cause).includes(expect.causeContains)) {
      return { verdict: 'disagree', detail: `cause ${JSON.stringify(failure.cause)}, want it to contain ${JSON.stringify(expect.causeContains)}` };
    }
    return { verdict: 'agree' };
  }
  return { verdict: 'skip', detail: `status ${expect.status} is not compared on the peer` };
}

const files = listCases(casesDir);
const tally = { agree: 0, disagree: 0, known: 0, skip: 0 };
const areas = {};
for (const file of files) {
  const id = relative(casesDir, file).replace(/\.json$/, '');
  if (filters.length && !filters.some((f) => id.includes(f))) continue;
  const c = JSON.parse(readFileSync(file, 'utf8'));
  let result;
  try {
    result = await runCase(c, id);
  } catch (err) {
    result = { verdict: 'disagree', detail: `runner error: ${err.stack ?? err}` };
  }
  const area = id.split('/')[0];
  areas[area] ??= { agree: 0, disagree: 0, known: 0, skip: 0 };
  let verdict = result.verdict;
  if (verdict === 'disagree' && c.peerDiffers) verdict = 'known';
  if (verdict === 'agree' && c.peerDiffers) result.detail = `agrees although marked peerDiffers: ${c.peerDiffers}`;
  tally[verdict]++;
  areas[area][verdict]++;
  if (verdict === 'disagree' || verdict === 'known' || verbose || (verdict === 'agree' && c.peerDiffers)) {
    const note = verdict === 'known' ? ` (known: ${c.peerDiffers})` : '';
    console.log(`${verdict.toUpperCase().padEnd(8)} ${id}: ${result.detail ?? ''}${note}`);
  }
}
console.log('');
for (const [area, t] of Object.entries(areas)) {
  console.log(`${area.padEnd(14)} agree ${t.agree}, disagree ${t.disagree}, known differences ${t.known}, skipped ${t.skip}`);
}
const compared = tally.agree + tally.disagree + tally.known;
console.log(
  `peer agreement: ${tally.agree}/${compared} cases agree, ${tally.known} known differences, ` +
    `${tally.disagree} unexplained differences, ${tally.skip} not runnable on the peer`,
);
process.exit(tally.disagree > 0 ? 1 : 0);
