package engine

import (
	"strings"
	"unicode/utf8"
)

// stateMachineARN is arn:aws:states:REGION:ACCOUNT:stateMachine:NAME.
func (e *Engine) stateMachineARN(name string) string {
	return "arn:aws:states:" + e.opts.Region + ":" + e.opts.Account + ":stateMachine:" + name
}

// executionARN is arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME.
func (e *Engine) executionARN(machine, name string) string {
	return "arn:aws:states:" + e.opts.Region + ":" + e.opts.Account + ":execution:" + machine + ":" + name
}

// parseARN checks an ARN of the given resource type ("stateMachine", "execution") and returns
// the parts after it. It reports InvalidArn for anything else.
func parseARN(arn, resource string, parts int) ([]string, *Error) {
	fields := strings.Split(arn, ":")
	if len(fields) != 6+parts || fields[0] != "arn" || fields[1] == "" || fields[2] != "states" || fields[5] != resource {
		return nil, errorf(CodeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	for _, f := range fields[6:] {
		if f == "" {
			return nil, errorf(CodeInvalidArn, "Invalid Arn: '%s'", arn)
		}
	}
	return fields[6:], nil
}

// checkName applies the naming rules of state machines and executions: 1 to 80 characters,
// none of whitespace, brackets, wildcards, the special characters "#%\^|~`$&,;:/ and control
// characters.
func checkName(kind, name string) *Error {
	if name == "" || utf8.RuneCountInString(name) > 80 {
		return errorf(CodeInvalidName, "Invalid Name: '%s' (a %s name must be 1 to 80 characters)", name, kind)
	}
	if !utf8.ValidString(name) {
		return errorf(CodeInvalidName, "Invalid Name: '%s' (not valid UTF-8)", name)
	}
	for _, r := range name {
		switch {
		case r <= 0x20, r >= 0x7f && r <= 0x9f:
			return errorf(CodeInvalidName, "Invalid Name: '%s' (whitespace and control characters are not allowed)", name)
		case strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r):
			return errorf(CodeInvalidName, "Invalid Name: '%s' (the character %q is not allowed)", name, r)
		case r == '\u00a0' || r == '\u1680' || (r >= '\u2000' && r <= '\u200a') || r == '\u2028' || r == '\u2029' || r == '\u202f' || r == '\u205f' || r == '\u3000' || r == '\ufeff':
			return errorf(CodeInvalidName, "Invalid Name: '%s' (whitespace is not allowed)", name)
		}
	}
	return nil
}
