package step

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// EventSource is the source of every event the system puts on its bus.
const EventSource = "fasttrack"

// Detail types of the system's events.
const (
	EventTaskOpened         = "Approval Task Opened"
	EventTaskEscalated      = "Approval Task Escalated"
	EventTaskExpired        = "Approval Task Expired"
	EventActivationActive   = "Activation Active"
	EventActivationFinished = "Activation Closed"
)

// EventPublisher puts a notification on the system's event bus.
type EventPublisher interface {
	// Publish sends one event of the detail type with the detail as its JSON body.
	Publish(ctx context.Context, detailType string, detail any) error
}

// PutEventsAPI is the part of the EventBridge client the publisher uses; *eventbridge.Client has
// it, talking to AWS or to the local system's event endpoint alike.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, options ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ PutEventsAPI = (*eventbridge.Client)(nil)

// EventBridge publishes to one event bus.
type EventBridge struct {
	Client PutEventsAPI
	Bus    string
	Now    func() time.Time
}

var _ EventPublisher = (*EventBridge)(nil)

// Publish puts the event on the bus; an entry the bus refused is an error.
func (p *EventBridge) Publish(ctx context.Context, detailType string, detail any) error {
	body, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	out, err := p.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(p.Bus), Source: aws.String(EventSource), DetailType: aws.String(detailType),
		Detail: aws.String(string(body)), Time: aws.Time(now()),
	}}})
	if err != nil {
		return err
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		return fmt.Errorf("event bus %s refused the event: %s %s", p.Bus,
			aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
	}
	return nil
}

// Notify publishes and logs a failure without failing the step: the change the event tells of
// is already committed and recorded in the audit trail, and a notification is not worth
// undoing it for.
func Notify(ctx context.Context, publisher EventPublisher, logger *slog.Logger, detailType string, detail any) {
	if publisher == nil {
		return
	}
	if err := publisher.Publish(ctx, detailType, detail); err != nil {
		logger.Warn("notification not sent", "detailType", detailType, "error", err.Error())
	}
}

// NewEventBridge builds the publisher for the Env's event bus from its AWS configuration.
func NewEventBridge(cfg aws.Config, bus string, now func() time.Time) (*EventBridge, error) {
	if bus == "" {
		return nil, fmt.Errorf("the event bus name is not set (FASTTRACK_EVENT_BUS_NAME)")
	}
	return &EventBridge{Client: eventbridge.NewFromConfig(cfg), Bus: bus, Now: now}, nil
}
