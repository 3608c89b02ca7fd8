package ingesttest

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Item is a DynamoDB item.
type Item = map[string]types.AttributeValue

// Index is a global secondary index of a fake table.
type Index struct {
	Name, Partition, Sort string
}

// DB is a fake DynamoDB holding tables with a string partition key.
type DB struct {
	// Hook, when set, runs before each operation ("PutItem", "Query",
	// "DeleteItem", …) with the table name; a non-nil error fails
	// it.
	Hook func(op, table string) error

	mu     sync.Mutex
	tables map[string]*table
}

type table struct {
	pk      string
	indexes map[string]Index
	items   map[string]Item
}

// NewDB returns a fake with no tables.
func NewDB() *DB { return &DB{tables: map[string]*table{}} }

// CreateTable adds a table keyed by the string attribute pk.
func (d *DB) CreateTable(name, pk string, indexes ...Index) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := &table{pk: pk, indexes: map[string]Index{}, items: map[string]Item{}}
	for _, ix := range indexes {
		t.indexes[ix.Name] = ix
	}
	d.tables[name] = t
}

// Items returns a copy of a table's items by partition key.
func (d *DB) Items(name string) map[string]Item {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.tables[name]
	if t == nil {
		return nil
	}
	m := make(map[string]Item, len(t.items))
	for k, v := range t.items {
		m[k] = maps.Clone(v)
	}
	return m
}

// Reset removes every item of every table (benchmarks).
func (d *DB) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.tables {
		t.items = map[string]Item{}
	}
}

func (d *DB) begin(op, name string) (*table, error) {
	if d.Hook != nil {
		if err := d.Hook(op, name); err != nil {
			return nil, err
		}
	}
	d.mu.Lock()
	t := d.tables[name]
	d.mu.Unlock()
	if t == nil {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found: " + name)}
	}
	return t, nil
}

func (t *table) key(k Item) (string, error) {
	v, ok := k[t.pk].(*types.AttributeValueMemberS)
	if !ok {
		return "", &smithy.GenericAPIError{Code: "ValidationException", Message: "missing key " + t.pk}
	}
	return v.Value, nil
}

// ccf is the failure of a condition on existing (nil: absent), which it
// carries when the caller asked for it.
func ccf(rv types.ReturnValuesOnConditionCheckFailure, existing Item) error {
	e := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	if rv == types.ReturnValuesOnConditionCheckFailureAllOld && existing != nil {
		e.Item = maps.Clone(existing)
	}
	return e
}

func (d *DB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	t, err := d.begin("PutItem", aws.ToString(in.TableName))
	if err != nil {
		return nil, err
	}
	k, err := t.key(in.Item)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ok, err := eval(in.ConditionExpression, t.items[k], in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ccf(in.ReturnValuesOnConditionCheckFailure, t.items[k])
	}
	out := &dynamodb.PutItemOutput{}
	if old, had := t.items[k]; had && in.ReturnValues == types.ReturnValueAllOld {
		out.Attributes = maps.Clone(old)
	}
	t.items[k] = maps.Clone(in.Item)
	return out, nil
}

func (d *DB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	t, err := d.begin("GetItem", aws.ToString(in.TableName))
	if err != nil {
		return nil, err
	}
	k, err := t.key(in.Key)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	it, ok := t.items[k]
	if !ok {
		return &dynamodb.GetItemOutput{}, nil
	}
	return &dynamodb.GetItemOutput{Item: maps.Clone(it)}, nil
}

func (d *DB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	t, err := d.begin("DeleteItem", aws.ToString(in.TableName))
	if err != nil {
		return nil, err
	}
	k, err := t.key(in.Key)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ok, err := eval(in.ConditionExpression, t.items[k], in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ccf(in.ReturnValuesOnConditionCheckFailure, t.items[k])
	}
	out := &dynamodb.DeleteItemOutput{}
	if old, had := t.items[k]; had && in.ReturnValues == types.ReturnValueAllOld {
		out.Attributes = maps.Clone(old)
	}
	delete(t.items, k)
	return out, nil
}

func (d *DB) Query(ctx context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	t, err := d.begin("Query", aws.ToString(in.TableName))
	if err != nil {
		return nil, err
	}
	ix, ok := t.indexes[aws.ToString(in.IndexName)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "fake queries indexes only"}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var items []Item
	for _, it := range t.items {
		if _, has := it[ix.Partition]; !has {
			continue
		}
		if ok, err := eval(in.KeyConditionExpression, it, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err != nil {
			return nil, err
		} else if ok {
			items = append(items, it)
		}
	}
	less := func(a, b Item) bool {
		sa, sb := sval(a[ix.Sort]), sval(b[ix.Sort])
		if sa != sb {
			return sa < sb
		}
		return sval(a[t.pk]) < sval(b[t.pk])
	}
	sort.Slice(items, func(i, j int) bool {
		if aws.ToBool(in.ScanIndexForward) || in.ScanIndexForward == nil {
			return less(items[i], items[j])
		}
		return less(items[j], items[i])
	})
	if start := in.ExclusiveStartKey; start != nil {
		for i, it := range items {
			if sval(it[t.pk]) == sval(start[t.pk]) {
				items = items[i+1:]
				break
			}
		}
	}
	out := &dynamodb.QueryOutput{}
	limit := int(aws.ToInt32(in.Limit))
	if limit > 0 && len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		out.LastEvaluatedKey = Item{t.pk: last[t.pk], ix.Partition: last[ix.Partition], ix.Sort: last[ix.Sort]}
	}
	for _, it := range items {
		out.Items = append(out.Items, maps.Clone(it))
	}
	out.Count = int32(len(out.Items))
	return out, nil
}

func (d *DB) Scan(ctx context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	t, err := d.begin("Scan", aws.ToString(in.TableName))
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(t.items))
	for k := range t.items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if start := in.ExclusiveStartKey; start != nil {
		s := sval(start[t.pk])
		i := sort.SearchStrings(keys, s)
		if i < len(keys) && keys[i] == s {
			i++
		}
		keys = keys[i:]
	}
	out := &dynamodb.ScanOutput{}
	limit := int(aws.ToInt32(in.Limit))
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
		out.LastEvaluatedKey = Item{t.pk: &types.AttributeValueMemberS{Value: keys[limit-1]}}
	}
	for _, k := range keys {
		out.Items = append(out.Items, maps.Clone(t.items[k]))
	}
	out.Count = int32(len(out.Items))
	return out, nil
}

func (d *DB) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	if _, err := d.begin("DescribeTable", aws.ToString(in.TableName)); err != nil {
		return nil, err
	}
	return &dynamodb.DescribeTableOutput{Table: &types.TableDescription{TableName: in.TableName, TableStatus: types.TableStatusActive}}, nil
}

func sval(v types.AttributeValue) string {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		return x.Value
	}
	return ""
}

func resolveName(s string, names map[string]string) string {
	if strings.HasPrefix(s, "#") {
		return names[s]
	}
	return s
}

// eval evaluates a condition expression against item (nil: absent).
func eval(expr *string, item Item, names map[string]string, vals map[string]types.AttributeValue) (bool, error) {
	if expr == nil || strings.TrimSpace(*expr) == "" {
		return true, nil
	}
	p := &parser{toks: tokenize(*expr), item: item, names: names, vals: vals}
	v, err := p.or()
	if err != nil {
		return false, err
	}
	if p.i != len(p.toks) {
		return false, fmt.Errorf("ingesttest: trailing tokens in %q", *expr)
	}
	return v, nil
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case strings.ContainsRune("(),", rune(c)):
			toks = append(toks, string(c))
			i++
		case strings.ContainsRune("<>=", rune(c)):
			j := i + 1
			for j < len(s) && strings.ContainsRune("<>=", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" (),<>=", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

type parser struct {
	toks  []string
	i     int
	item  Item
	names map[string]string
	vals  map[string]types.AttributeValue
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *parser) next() string { t := p.peek(); p.i++; return t }

func (p *parser) or() (bool, error) {
	v, err := p.and()
	for err == nil && strings.EqualFold(p.peek(), "OR") {
		p.next()
		var w bool
		w, err = p.and()
		v = v || w
	}
	return v, err
}

func (p *parser) and() (bool, error) {
	v, err := p.factor()
	for err == nil && strings.EqualFold(p.peek(), "AND") {
		p.next()
		var w bool
		w, err = p.factor()
		v = v && w
	}
	return v, err
}

func (p *parser) factor() (bool, error) {
	switch t := p.next(); {
	case t == "(":
		v, err := p.or()
		if p.next() != ")" {
			return false, fmt.Errorf("ingesttest: missing )")
		}
		return v, err
	case strings.EqualFold(t, "NOT"):
		v, err := p.factor()
		return !v, err
	case t == "attribute_not_exists" || t == "attribute_exists":
		if p.next() != "(" {
			return false, fmt.Errorf("ingesttest: want ( after %s", t)
		}
		name := resolveName(p.next(), p.names)
		if p.next() != ")" {
			return false, fmt.Errorf("ingesttest: want ) after %s", t)
		}
		_, has := p.item[name]
		return has == (t == "attribute_exists"), nil
	default:
		lhs := p.operand(t)
		op := p.next()
		rhs := p.operand(p.next())
		return compare(lhs, op, rhs)
	}
}

func (p *parser) operand(t string) types.AttributeValue {
	if strings.HasPrefix(t, ":") {
		return p.vals[t]
	}
	return p.item[resolveName(t, p.names)]
}

func compare(a types.AttributeValue, op string, b types.AttributeValue) (bool, error) {
	if a == nil || b == nil {
		return op == "<>", nil
	}
	var c int
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		y, ok := b.(*types.AttributeValueMemberS)
		if !ok {
			return op == "<>", nil
		}
		c = strings.Compare(x.Value, y.Value)
	case *types.AttributeValueMemberN:
		y, ok := b.(*types.AttributeValueMemberN)
		if !ok {
			return op == "<>", nil
		}
		fx, _ := strconv.ParseFloat(x.Value, 64)
		fy, _ := strconv.ParseFloat(y.Value, 64)
		switch {
		case fx < fy:
			c = -1
		case fx > fy:
			c = 1
		}
	default:
		return false, fmt.Errorf("ingesttest: unsupported attribute type %T", a)
	}
	switch op {
	case "=":
		return c == 0, nil
	case "<>":
		return c != 0, nil
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("ingesttest: unsupported operator %q", op)
}
