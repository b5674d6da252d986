package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// maxWhat bounds the WHAT column of the history and audit tables; the whole record is in
// --json and in the export.
const maxWhat = 100

// describeChange says in a few words what an audit event recorded, from its action and its
// before and after images: the decision and its comment, the status change, the money, the
// booking. It is a reading aid for the tables; the event itself is in --json and the export.
func describeChange(action string, before, after json.RawMessage) string {
	var was, now map[string]any
	_ = json.Unmarshal(before, &was)
	_ = json.Unmarshal(after, &now)
	text := describeKnown(action, was, now)
	if text == "" {
		text = scalars(now)
	}
	return clip(text)
}

func describeKnown(action string, was, now map[string]any) string {
	switch action {
	case audit.ActionActivationRequested:
		return joinNonEmpty(", ", money(now["amount"]), prefixed("to ", text(now, "dutyStation")),
			prefixed("priority ", text(now, "priority")), prefixed("security level ", text(now, "securityLevel")))
	case audit.ActionActivationStatus:
		return change(text(was, "status"), text(now, "status"))
	case audit.ActionActivationCancel:
		return text(now, "reason")
	case audit.ActionTaskDecided:
		decision := text(now, "decision")
		if behalf := text(now, "onBehalfOf"); behalf != "" {
			decision += " on behalf of " + behalf
		}
		if comment := text(now, "comment"); comment != "" {
			decision += ": " + fmt.Sprintf("%q", comment)
		}
		return decision
	case audit.ActionTaskCreated:
		return joinNonEmpty(" ", text(now, "role"), text(now, "kind"), prefixed("due ", moment(text(now, "deadline"))))
	case audit.ActionTaskReassigned:
		return joinNonEmpty(": ", prefixed("to ", text(now, "assignee")), text(now, "reason"))
	case audit.ActionTaskExpired, audit.ActionTaskEscalated:
		return joinNonEmpty(": ", text(now, "status"), text(now, "reason"))
	case audit.ActionFundReserved, audit.ActionFundReleased, audit.ActionFundReversed, audit.ActionFundContributed:
		return joinNonEmpty(" ", text(now, "kind"), money(map[string]any{"value": now["amount"], "currency": now["currency"]}),
			text(now, "reference"))
	case audit.ActionExpertBooked, audit.ActionBookingCancelled:
		period, _ := now["period"].(map[string]any)
		return joinNonEmpty(" ", text(now, "expert"), text(period, "start"), prefixed("to ", text(period, "end")))
	case audit.ActionDelegationCreated:
		return joinNonEmpty(" ", change(text(now, "fromUser"), text(now, "toUser")), prefixed("role ", text(now, "role")),
			prefixed("from ", moment(text(now, "start"))), prefixed("until ", moment(text(now, "until"))), text(now, "reason"))
	case api.ActionDelegationRevoked:
		delegation, _ := now["delegation"].(map[string]any)
		return joinNonEmpty(" ", "ended", change(text(delegation, "fromUser"), text(delegation, "toUser")),
			prefixed("role ", text(delegation, "role")), text(now, "reason"))
	case audit.ActionStepCompleted:
		took := ""
		if start, err := time.Parse(time.RFC3339Nano, text(now, "startedAt")); err == nil {
			if end, err := time.Parse(time.RFC3339Nano, text(now, "endedAt")); err == nil && !end.Before(start) {
				took = "in " + end.Sub(start).Round(time.Millisecond).String()
			}
		}
		rest := maps.Clone(now)
		for _, key := range []string{"step", "startedAt", "endedAt"} {
			delete(rest, key)
		}
		return joinNonEmpty(" ", text(now, "step"), took, scalars(rest))
	}
	if strings.HasSuffix(action, "_refused") || strings.HasSuffix(action, ".refused") {
		return joinNonEmpty(": ", "refused", text(now, "reason"))
	}
	return ""
}

// describeWorkflowEvent says what a workflow event carries that a reader needs: an error and
// its cause. Inputs and outputs are left to --json.
func describeWorkflowEvent(detail map[string]any) string {
	return clip(joinNonEmpty(": ", text(detail, "error"), text(detail, "cause")))
}

// text reads a scalar member as text ("" when absent or not a scalar).
func text(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

// moment writes an RFC 3339 time as a table does (local time, to the minute); other text stays.
func moment(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return when(t)
	}
	return s
}

// money writes {"value": minor units, "currency": ...} as an amount ("" when it is not one).
func money(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	value, isNumber := m["value"].(float64)
	currency, isText := m["currency"].(string)
	if !isNumber || !isText || currency == "" {
		return ""
	}
	if value < 0 {
		value = -value
	}
	return amountText(domain.Money{Value: int64(value), Currency: currency})
}

// scalars writes an object's scalar members as key=value, in key order, for actions with no
// words of their own.
func scalars(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if text(m, k) != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + text(m, k)
	}
	return strings.Join(parts, " ")
}

func prefixed(prefix, value string) string {
	if value == "" {
		return ""
	}
	return prefix + value
}

// joinNonEmpty joins the parts that are not empty.
func joinNonEmpty(separator string, parts ...string) string {
	return strings.Join(slices.DeleteFunc(slices.Clone(parts), func(p string) bool { return p == "" }), separator)
}

// change writes "before -> after", or whichever of the two is known.
func change(before, after string) string {
	if before == "" || after == "" {
		return before + after
	}
	return before + " -> " + after
}

// clip shortens one line of text to maxWhat characters, on one line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxWhat {
		return string(r[:maxWhat-3]) + "..."
	}
	return s
}
