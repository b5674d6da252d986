package localstack

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// eventsTargetPrefix marks the EventBridge JSON 1.1 protocol's operations.
const eventsTargetPrefix = "AWSEvents."

// Event is one notification a function put on the bus.
type Event struct {
	ID         string          `json:"id"`
	Bus        string          `json:"bus"`
	Source     string          `json:"source"`
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
	Time       time.Time       `json:"time"`
}

// EventLog is the local event bus: it answers PutEvents as EventBridge does, logs each event
// and keeps the most recent ones for the console and the tests.
type EventLog struct {
	mu     sync.Mutex
	limit  int
	events []Event
	logger *slog.Logger
}

// NewEventLog keeps up to limit events.
func NewEventLog(limit int, logger *slog.Logger) *EventLog {
	return &EventLog{limit: limit, logger: logger}
}

// Recent returns the kept events, oldest first.
func (l *EventLog) Recent() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

type putEventsEntry struct {
	EventBusName string
	Source       string
	DetailType   string
	Detail       string
	Time         *float64
}

// ServeHTTP answers AWSEvents.PutEvents; any other operation is refused as EventBridge would.
func (l *EventLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Header.Get("X-Amz-Target") != eventsTargetPrefix+"PutEvents" {
		reply(http.StatusBadRequest, map[string]string{"__type": "UnknownOperationException", "message": "only PutEvents is served locally"})
		return
	}
	var in struct{ Entries []putEventsEntry }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || len(in.Entries) == 0 || len(in.Entries) > 10 {
		reply(http.StatusBadRequest, map[string]string{"__type": "ValidationException", "message": "Entries must hold 1 to 10 events"})
		return
	}
	type result struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	for _, entry := range in.Entries {
		if entry.Source == "" || entry.DetailType == "" || !json.Valid([]byte(entry.Detail)) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: "InvalidArgument", ErrorMessage: "Source, DetailType and a JSON Detail are required"})
			continue
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		event := Event{ID: hex.EncodeToString(b), Bus: entry.EventBusName, Source: entry.Source, DetailType: entry.DetailType,
			Detail: json.RawMessage(entry.Detail), Time: time.Now().UTC()}
		if entry.Time != nil {
			sec := int64(*entry.Time)
			event.Time = time.Unix(sec, int64((*entry.Time-float64(sec))*1e9)).UTC()
		}
		l.mu.Lock()
		l.events = append(l.events, event)
		if len(l.events) > l.limit {
			l.events = l.events[len(l.events)-l.limit:]
		}
		l.mu.Unlock()
		l.logger.Info("event", "bus", event.Bus, "detailType", event.DetailType, "detail", string(event.Detail))
		out.Entries = append(out.Entries, result{EventID: event.ID})
	}
	reply(http.StatusOK, out)
}
