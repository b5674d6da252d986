package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// ReferenceData keeps countries, duty stations, settings and accounts.
type ReferenceData interface {
	PutCountry(ctx context.Context, c domain.Country) error
	Countries(ctx context.Context) ([]domain.Country, error)
	PutDutyStation(ctx context.Context, d domain.DutyStation) error
	DutyStations(ctx context.Context) ([]domain.DutyStation, error)
	// LoadReference reads every country and duty station, for validation and the rules.
	LoadReference(ctx context.Context) (*domain.ReferenceSet, error)
	PutSetting(ctx context.Context, name string, value any) error
	GetSetting(ctx context.Context, name string, out any) (bool, error)
	PutAccount(ctx context.Context, a domain.Account) error
	GetAccount(ctx context.Context, id string) (domain.Account, error)
	Accounts(ctx context.Context) ([]domain.Account, error)
}

var _ ReferenceData = (*Store)(nil)

const (
	countryPK     = "COUNTRY"
	dutyStationPK = "DUTY_STATION"
	settingPK     = "SETTING"
	accountPK     = "ACCOUNT"
)

func (s *Store) putReference(ctx context.Context, pk, sk string, v any) error {
	item, err := marshalMap(v)
	if err != nil {
		return err
	}
	item["pk"], item["sk"] = str(pk), str(sk)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table(tables.Reference), Item: item})
	return err
}

func (s *Store) listReference(ctx context.Context, pk string) ([]map[string]types.AttributeValue, error) {
	return s.queryAll(ctx, &dynamodb.QueryInput{TableName: s.table(tables.Reference), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}})
}

func (s *Store) getReference(ctx context.Context, pk, sk string, out any) (bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table(tables.Reference), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk)}})
	if err != nil || res.Item == nil {
		return false, err
	}
	return true, unmarshalMap(res.Item, out)
}

func listOf[T any](s *Store, ctx context.Context, pk string) ([]T, error) {
	items, err := s.listReference(ctx, pk)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(items))
	for _, m := range items {
		var v T
		if err := unmarshalMap(m, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// PutCountry adds or replaces a country.
func (s *Store) PutCountry(ctx context.Context, c domain.Country) error {
	var fe domain.FieldErrors
	if !domain.ValidCountryCode(c.Code) {
		fe = append(fe, domain.FieldError{Field: "code", Reason: "must be an ISO 3166-1 alpha-2 code"})
	}
	if c.Population < 0 {
		fe = append(fe, domain.FieldError{Field: "population", Reason: "must not be negative"})
	}
	if len(fe) > 0 {
		return domain.Invalid(fe)
	}
	return s.putReference(ctx, countryPK, c.Code, c)
}

// Countries returns every country, by code.
func (s *Store) Countries(ctx context.Context) ([]domain.Country, error) {
	return listOf[domain.Country](s, ctx, countryPK)
}

// PutDutyStation adds or replaces a duty station (its security level is the security
// function's to set).
func (s *Store) PutDutyStation(ctx context.Context, d domain.DutyStation) error {
	var fe domain.FieldErrors
	if !domain.ValidCountryCode(d.Country) {
		fe = append(fe, domain.FieldError{Field: "country", Reason: "must be an ISO 3166-1 alpha-2 code"})
	}
	if d.Name == "" {
		fe = append(fe, domain.FieldError{Field: "name", Reason: "is required"})
	}
	if !d.Level.Valid() {
		fe = append(fe, domain.FieldError{Field: "level", Reason: "must be a security level from 1 to 6"})
	}
	if len(fe) > 0 {
		return domain.Invalid(fe)
	}
	return s.putReference(ctx, dutyStationPK, d.Country+"/"+d.Name, d)
}

// DutyStations returns every duty station, by country and name.
func (s *Store) DutyStations(ctx context.Context) ([]domain.DutyStation, error) {
	return listOf[domain.DutyStation](s, ctx, dutyStationPK)
}

// LoadReference reads every country and duty station into a domain.ReferenceSet (the two
// queries at once).
func (s *Store) LoadReference(ctx context.Context) (*domain.ReferenceSet, error) {
	var stations []domain.DutyStation
	var stationsErr error
	var wg sync.WaitGroup
	wg.Go(func() { stations, stationsErr = s.DutyStations(ctx) })
	countries, err := s.Countries(ctx)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if stationsErr != nil {
		return nil, stationsErr
	}
	return domain.NewReferenceSet(countries, stations), nil
}

type setting struct {
	Value string `json:"value"`
}

// PutSetting stores a named setting as JSON (such as the rules configuration an admin sets).
func (s *Store) PutSetting(ctx context.Context, name string, value any) error {
	b, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("setting %s: %w", name, err)
	}
	return s.putReference(ctx, settingPK, name, setting{Value: string(b)})
}

// GetSetting reads a named setting into out; false if it was never set.
func (s *Store) GetSetting(ctx context.Context, name string, out any) (bool, error) {
	var v setting
	ok, err := s.getReference(ctx, settingPK, name, &v)
	if !ok || err != nil {
		return false, err
	}
	return true, json.Unmarshal([]byte(v.Value), out)
}

// PutAccount adds or replaces an account.
func (s *Store) PutAccount(ctx context.Context, a domain.Account) error {
	if a.ID == "" {
		return domain.Invalid(domain.FieldErrors{{Field: "id", Reason: "is required"}})
	}
	for i, r := range a.Roles {
		if !r.Valid() {
			return domain.Invalid(domain.FieldErrors{{Field: fmt.Sprintf("roles[%d]", i), Reason: "is not a role"}})
		}
	}
	return s.putReference(ctx, accountPK, a.ID, a)
}

// GetAccount returns the account; not_found if there is none.
func (s *Store) GetAccount(ctx context.Context, id string) (domain.Account, error) {
	var a domain.Account
	ok, err := s.getReference(ctx, accountPK, id, &a)
	if err == nil && !ok {
		err = domain.NotFound("account", id)
	}
	return a, err
}

// Accounts returns every account, by id.
func (s *Store) Accounts(ctx context.Context) ([]domain.Account, error) {
	return listOf[domain.Account](s, ctx, accountPK)
}
