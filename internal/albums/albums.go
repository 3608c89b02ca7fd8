package albums

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/twinstack/twinstack/internal/apperr"
)

// TableAPI is what the store calls on DynamoDB.
type TableAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// Album is one record album.
type Album struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	Artist string  `json:"artist"`
	Price  float64 `json:"price"`
}

// Seeds are the albums every deployment starts with.
func Seeds() []Album {
	return []Album{
		{ID: "1", Title: "Blue Train", Artist: "John Coltrane", Price: 56.99},
		{ID: "2", Title: "Jeru", Artist: "Gerry Mulligan", Price: 17.99},
		{ID: "3", Title: "Sarah Vaughan and Clifford Brown", Artist: "Sarah Vaughan", Price: 39.99},
	}
}

// Limits of album fields.
const (
	MaxIDLen   = 64
	MaxTextLen = 200
	MaxPrice   = 1_000_000
)

var idRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate reports the first invalid field as an Invalid *apperr.Error.
func (a Album) Validate() error {
	const op = "albums.Validate"
	switch {
	case a.ID == "":
		return apperr.Errorf(apperr.Invalid, op, "id is required")
	case len(a.ID) > MaxIDLen || !idRE.MatchString(a.ID):
		return apperr.Errorf(apperr.Invalid, op, "id must be 1-%d letters, digits, '-' or '_'", MaxIDLen)
	}
	for _, f := range []struct{ name, v string }{{"title", a.Title}, {"artist", a.Artist}} {
		if err := checkText(f.v); err != "" {
			return apperr.Errorf(apperr.Invalid, op, "%s %s", f.name, err)
		}
	}
	switch {
	case math.IsNaN(a.Price) || math.IsInf(a.Price, 0) || a.Price < 0 || a.Price > MaxPrice:
		return apperr.Errorf(apperr.Invalid, op, "price must be between 0 and %d", MaxPrice)
	case math.Abs(a.Price*100-math.Round(a.Price*100)) > 1e-6:
		return apperr.Errorf(apperr.Invalid, op, "price must have at most two decimals")
	}
	return nil
}

func checkText(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "is required"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > MaxTextLen:
		return fmt.Sprintf("is longer than %d characters", MaxTextLen)
	case strings.TrimSpace(s) != s:
		return "has leading or trailing spaces"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "contains control characters"
		}
	}
	return ""
}

// Store keeps albums in one table keyed by "id".
type Store struct {
	db    TableAPI
	table string
}

// New returns a Store over table.
func New(db TableAPI, table string) *Store { return &Store{db: db, table: table} }

const condNew = "attribute_not_exists(id)"

func item(a Album) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"id":     &types.AttributeValueMemberS{Value: a.ID},
		"title":  &types.AttributeValueMemberS{Value: a.Title},
		"artist": &types.AttributeValueMemberS{Value: a.Artist},
		"price":  &types.AttributeValueMemberN{Value: strconv.FormatFloat(a.Price, 'f', -1, 64)},
	}
}

func fromItem(it map[string]types.AttributeValue) Album {
	var a Album
	if v, ok := it["id"].(*types.AttributeValueMemberS); ok {
		a.ID = v.Value
	}
	if v, ok := it["title"].(*types.AttributeValueMemberS); ok {
		a.Title = v.Value
	}
	if v, ok := it["artist"].(*types.AttributeValueMemberS); ok {
		a.Artist = v.Value
	}
	if v, ok := it["price"].(*types.AttributeValueMemberN); ok {
		a.Price, _ = strconv.ParseFloat(v.Value, 64)
	}
	return a
}

func storageErr(op, what string, err error) error {
	return &apperr.Error{Code: apperr.StorageUnavailable, Op: op, Message: "storage unavailable: " + what + " failed", Err: fmt.Errorf("%s: %w", what, err)}
}

// List returns every album, sorted by id.
func (s *Store) List(ctx context.Context) ([]Album, error) {
	const op = "albums.List"
	out := []Album{}
	var start map[string]types.AttributeValue
	for {
		page, err := s.db.Scan(ctx, &dynamodb.ScanInput{TableName: &s.table, ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, storageErr(op, "scan albums", err)
		}
		for _, it := range page.Items {
			out = append(out, fromItem(it))
		}
		if page.LastEvaluatedKey == nil {
			break
		}
		start = page.LastEvaluatedKey
	}
	sort.Slice(out, func(i, j int) bool { return lessID(out[i].ID, out[j].ID) })
	return out, nil
}

// lessID orders numeric ids numerically ("2" < "10"), then the others.
func lessID(a, b string) bool {
	na, ea := strconv.ParseUint(a, 10, 64)
	nb, eb := strconv.ParseUint(b, 10, 64)
	switch {
	case ea == nil && eb == nil && na != nb:
		return na < nb
	case (ea == nil) != (eb == nil):
		return ea == nil
	}
	return a < b
}

// Get returns the album with id.
func (s *Store) Get(ctx context.Context, id string) (Album, error) {
	const op = "albums.Get"
	if id == "" || len(id) > MaxIDLen || !idRE.MatchString(id) {
		return Album{}, apperr.Errorf(apperr.NotFound, op, "no album %q", id)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Album{}, storageErr(op, "read album", err)
	}
	if out.Item == nil {
		return Album{}, apperr.Errorf(apperr.NotFound, op, "no album %q", id)
	}
	return fromItem(out.Item), nil
}

// Create validates a and stores it unless an album with its id exists
// (Conflict).
func (s *Store) Create(ctx context.Context, a Album) (Album, error) {
	const op = "albums.Create"
	if err := a.Validate(); err != nil {
		return Album{}, err
	}
	created, err := s.putNew(ctx, a)
	if err != nil {
		return Album{}, storageErr(op, "write album", err)
	}
	if !created {
		return Album{}, apperr.Errorf(apperr.Conflict, op, "album %q already exists", a.ID)
	}
	return a, nil
}

func (s *Store) putNew(ctx context.Context, a Album) (bool, error) {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item(a), ConditionExpression: aws.String(condNew)})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// Seed writes each seed album that does not exist yet and reports how
// many it wrote. Concurrent seeding from several instances writes each
// seed once.
func (s *Store) Seed(ctx context.Context) (int, error) {
	const op = "albums.Seed"
	n := 0
	for _, a := range Seeds() {
		created, err := s.putNew(ctx, a)
		if err != nil {
			return n, storageErr(op, "seed album "+a.ID, err)
		}
		if created {
			n++
		}
	}
	return n, nil
}

// Ready checks that the table is reachable.
func (s *Store) Ready(ctx context.Context) error {
	out, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &s.table})
	if err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	if st := out.Table.TableStatus; st != types.TableStatusActive && st != types.TableStatusUpdating {
		return fmt.Errorf("table %s is %s", s.table, st)
	}
	return nil
}
