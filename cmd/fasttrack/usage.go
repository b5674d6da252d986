package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/spf13/cobra"
)

// execute runs the command line and returns its error in the words of the command that ran:
// the API's field errors are named by that command's flags where it has one for the field.
func execute(ctx context.Context, root *cobra.Command) error {
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil || cmd == nil {
		return err
	}
	var problem *problemError
	if errors.As(err, &problem) {
		problem.flagOf = func(field string) string { return flagOfField(cmd, field) }
	}
	return err
}

// fieldAliases names the flag of an API field where the two names differ, for every command
// that has that flag; a command's annotation "field:NAME" overrides it.
var fieldAliases = map[string]string{
	"activationId":    "activation",
	"toUser":          "to",
	"fromUser":        "delegator",
	"start":           "from",
	"assignee":        "to",
	"amount.value":    "amount",
	"amount.currency": "currency",
}

// annotateField records that the API's field is given with the command's flag.
func annotateField(cmd *cobra.Command, field, flag string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations["field:"+field] = flag
}

// flagOfField returns the flag of cmd that gave the API's field, or "" when none did: the field
// is then the request file's own (with --file or -f) or has no flag.
func flagOfField(cmd *cobra.Command, field string) string {
	if file := cmd.Flags().Lookup("file"); file != nil && file.Changed {
		return ""
	}
	candidates := []string{field}
	if base, _, found := strings.Cut(strings.SplitN(field, "[", 2)[0], "."); found || base != field {
		candidates = append(candidates, base)
	}
	for _, name := range candidates {
		flag, ok := cmd.Annotations["field:"+name]
		if !ok {
			flag, ok = fieldAliases[name]
		}
		if !ok {
			flag = kebab(name)
		}
		if cmd.Flags().Lookup(flag) != nil {
			return flag
		}
	}
	return ""
}

// kebab turns an API name such as crisisType into the flag name crisis-type.
func kebab(name string) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// namedArgs accepts exactly the arguments named, and says which one is missing or which are
// too many, with the command's usage line.
func namedArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return fmt.Errorf("%s needs %s (usage: %s)", cmd.CommandPath(), strings.Join(names[len(args):], " and "), cmd.UseLine())
		case len(args) > len(names):
			return fmt.Errorf("%s takes %s, but was given %d arguments: %s (quote a value that has spaces; usage: %s)",
				cmd.CommandPath(), argumentsPhrase(names), len(args), strings.Join(quoteAll(args), " "), cmd.UseLine())
		}
		return nil
	}
}

func argumentsPhrase(names []string) string {
	if len(names) == 1 {
		return "one argument, " + names[0]
	}
	return fmt.Sprintf("%d arguments, %s", len(names), strings.Join(names, " "))
}

func quoteAll(args []string) []string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	return quoted
}

// plural writes a count with its noun, in the singular for one.
func plural(n int, singular, pluralForm string) string {
	if n == 1 {
		return "1 " + singular
	}
	return fmt.Sprintf("%d %s", n, pluralForm)
}
