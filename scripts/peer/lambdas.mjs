// The conformance suite's test Lambda functions, as local JavaScript functions for the peer
// (aws-local-stepfunctions). Each behaves like the Go handler of the same name in
// workflows/engine/conformance/lambdas.go; keep the two in step.

// errorNames are the error types the Go handlers can return; any other name is reported as
// CustomError, as the Go FailWith does.
const errorNames = new Set(['CustomError', 'TransientError', 'ErrorA', 'ErrorB', 'ErrorC']);

// LambdaError carries the error name Step Functions matches on (the Go error's type name).
export class LambdaError extends Error {
  constructor(name, message) {
    super(message);
    this.name = errorNames.has(name) ? name : 'CustomError';
  }
}

// counters holds FailNTimes and FailSequence invocation counts by key, for one peer process.
const counters = new Map();

function next(key) {
  const count = (counters.get(key) ?? 0) + 1;
  counters.set(key, count);
  return count;
}

export const lambdas = {
  // Echo returns its input unchanged.
  Echo: async (input) => input,

  // Hello greets input.who, as the Lambda function of the AWS Step Functions tutorials does.
  Hello: async (input) => `Hello, ${input?.who}!`,

  // Add returns a + b.
  Add: async (input) => {
    if (typeof input?.a !== 'number' || typeof input?.b !== 'number') {
      throw new LambdaError('CustomError', 'Add needs numbers a and b');
    }
    return input.a + input.b;
  },

  // FailWith fails with the named error and message.
  FailWith: async (input) => {
    throw new LambdaError(input?.error ?? 'CustomError', input?.message ?? 'failed on purpose');
  },

  // FailNTimes fails the first `times` calls for `key` with `error`, then returns the number of
  // attempts and its input.
  FailNTimes: async (input) => {
    const attempt = next(`n:${input.key}`);
    if (attempt <= (input.times ?? 0)) {
      throw new LambdaError(input.error ?? 'TransientError', `attempt ${attempt} failed`);
    }
    return { attempts: attempt, input };
  },

  // FailSequence fails call N for `key` with errors[N-1]; past the list it returns the attempts.
  FailSequence: async (input) => {
    const attempt = next(`s:${input.key}`);
    const errors = input.errors ?? [];
    if (attempt <= errors.length) {
      throw new LambdaError(errors[attempt - 1], `attempt ${attempt} failed`);
    }
    return { attempts: attempt };
  },

  // Block never answers on its own: the state's TimeoutSeconds or HeartbeatSeconds ends it.
  Block: () =>
    new Promise((resolve) => {
      setTimeout(() => resolve({ blocked: true }), 60_000).unref();
    }),
};

// functionName extracts the function name from a Lambda ARN or name, dropping a version or alias.
export function functionName(reference) {
  const match = /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)(:.*)?$/.exec(reference);
  if (match) return match[1];
  return reference.split(':')[0];
}
