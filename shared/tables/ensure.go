package tables

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DefaultPrefix is the prefix of physical table names on one machine.
const DefaultPrefix = "fasttrack-"

// Names maps logical table names to physical ones.
type Names map[string]string

// NamesWithPrefix names every table prefix + logical name, as `fasttrack local` and the tests do.
func NamesWithPrefix(prefix string) Names {
	n := Names{}
	for _, t := range All() {
		n[t.Name] = prefix + t.Name
	}
	return n
}

// NamesFromEnv reads each table's physical name from its environment variable (Table.EnvVar),
// as the CDK app sets them on every Lambda. It fails if any is missing, so that a function
// never talks to a table it was not given.
func NamesFromEnv(getenv func(string) string) (Names, error) {
	n := Names{}
	var missing []string
	for _, t := range All() {
		v := getenv(t.EnvVar())
		if v == "" {
			missing = append(missing, t.EnvVar())
			continue
		}
		n[t.Name] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("tables: environment variables not set: %v", missing)
	}
	return n, nil
}

// NamesFromEnvOrPrefix reads the names from the environment when FASTTRACK_TABLE_* variables
// are set (on AWS), and otherwise uses the prefix (locally).
func NamesFromEnvOrPrefix(getenv func(string) string, prefix string) (Names, error) {
	for _, t := range All() {
		if getenv(t.EnvVar()) != "" {
			return NamesFromEnv(getenv)
		}
	}
	return NamesWithPrefix(prefix), nil
}

// Of returns the physical name of the logical table; it panics on a name that is not
// declared, which is a programming error caught by any test touching the table.
func (n Names) Of(logical string) string {
	name, ok := n[logical]
	if !ok {
		panic("tables: no table named " + logical)
	}
	return name
}

// AdminAPI is the part of the DynamoDB client that EnsureTables uses; *dynamodb.Client has it.
type AdminAPI interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DescribeTimeToLive(context.Context, *dynamodb.DescribeTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	UpdateTimeToLive(context.Context, *dynamodb.UpdateTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

var _ AdminAPI = (*dynamodb.Client)(nil)

// EnsureTables creates every declared table that does not exist yet under prefix (on-demand
// capacity, with its indexes), waits until each is active, and enables TTL where declared. It
// is idempotent and safe to run from several processes at once. It returns the names.
func EnsureTables(ctx context.Context, client AdminAPI, prefix string) (Names, error) {
	names := NamesWithPrefix(prefix)
	for _, t := range All() {
		if err := ensureTable(ctx, client, t, names.Of(t.Name)); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func ensureTable(ctx context.Context, client AdminAPI, t Table, name string) error {
	_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		_, err = client.CreateTable(ctx, CreateTableInput(t, name))
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("tables: create %s: %w", name, err)
		}
	case err != nil:
		return fmt.Errorf("tables: describe %s: %w", name, err)
	}
	if err := waitActive(ctx, client, name); err != nil {
		return err
	}
	if t.TTLAttribute == "" {
		return nil
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("tables: describe TTL of %s: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true),
		},
	})
	if err != nil {
		// Two processes enabling TTL at once: the loser is told it is already enabled (or
		// being changed); check rather than trust the message.
		again, derr := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
		if derr == nil && again.TimeToLiveDescription != nil &&
			aws.ToString(again.TimeToLiveDescription.AttributeName) == t.TTLAttribute &&
			(again.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabled ||
				again.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
			return nil
		}
		return fmt.Errorf("tables: enable TTL on %s: %w", name, err)
	}
	return nil
}

func waitActive(ctx context.Context, client AdminAPI, name string) error {
	deadline := time.Now().Add(2 * time.Minute)
	delay := 20 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("tables: describe %s: %w", name, err)
		}
		if allActive(out.Table) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("tables: %s did not become active in time", name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

func allActive(d *types.TableDescription) bool {
	if d == nil || d.TableStatus != types.TableStatusActive {
		return false
	}
	for _, g := range d.GlobalSecondaryIndexes {
		if g.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}

// CreateTableInput returns the CreateTable request for the declaration under a physical name.
func CreateTableInput(t Table, name string) *dynamodb.CreateTableInput {
	attrs := map[string]AttributeType{}
	addKey := func(k Key) { attrs[k.Name] = k.Type }
	keySchema := func(pk Key, sk *Key) []types.KeySchemaElement {
		addKey(pk)
		ks := []types.KeySchemaElement{{AttributeName: aws.String(pk.Name), KeyType: types.KeyTypeHash}}
		if sk != nil {
			addKey(*sk)
			ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sk.Name), KeyType: types.KeyTypeRange})
		}
		return ks
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keySchema(t.PartitionKey, t.SortKey),
	}
	for _, ix := range t.Indexes {
		proj := &types.Projection{ProjectionType: types.ProjectionTypeAll}
		if len(ix.NonKeyAttributes) > 0 {
			proj = &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: ix.NonKeyAttributes}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.PartitionKey, ix.SortKey),
			Projection: proj,
		})
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(name), AttributeType: types.ScalarAttributeType(attrs[name]),
		})
	}
	return in
}
