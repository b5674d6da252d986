// The local functions the benchmark's Task states call on the peer. They do the same trivial
// work as the Go handlers in workflows/engine/bench/functions.go: keep the two in step.

// reply answers one call: {"step", "id", "level"} in, {"ok", "step", "id", "score"} out.
function reply(input) {
  return { ok: true, step: input.step, id: input.id, score: input.level * 10 };
}

// handlerFor returns the local function for a Task state's Resource (a Lambda function ARN).
export function handlerFor(resource) {
  if (!resource.startsWith('arn:aws:lambda:')) throw new Error(`no local function for ${resource}`);
  return async (input) => reply(input);
}
