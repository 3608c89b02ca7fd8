package ingest

import (
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/twinstack/twinstack/constructs"
)

// Capacity is the DynamoDB capacity one request consumed, counted from the
// operations it made and the items they wrote, by DynamoDB's documented
// sizing rules:
//   - an item's size is the sum of its attribute names' and values' sizes
//     (a string its UTF-8 bytes, a number 1 byte per two significant
//     digits plus 1);
//   - a write costs 1 unit per started KB of the larger of the item before
//     and after it (at least 1); a conditional write whose condition fails
//     costs the same for the existing item (1 when there is none);
//   - the list index is sparse and projects the whole item: a write that
//     puts an item into it, changes it there or removes it costs one index
//     write of the item's size;
//   - a strongly consistent read costs 1 unit per started 4 KB.
//
// Transactions would double the table writes; ingest makes none.
type Capacity struct {
	WriteUnits      float64 // on the images table
	IndexWriteUnits float64 // on the list index
	ReadUnits       float64
}

// Add adds o to c.
func (c *Capacity) Add(o Capacity) {
	c.WriteUnits += o.WriteUnits
	c.IndexWriteUnits += o.IndexWriteUnits
	c.ReadUnits += o.ReadUnits
}

// write counts a successful write that replaced old (nil: none) with
// item (nil: a delete).
func (c *Capacity) write(old, item map[string]types.AttributeValue) {
	size := max(ItemSize(old), ItemSize(item))
	c.WriteUnits += writeUnits(size)
	if indexed(old) || indexed(item) {
		c.IndexWriteUnits += writeUnits(size)
	}
}

// failedWrite counts a write whose condition failed against existing
// (nil: no item).
func (c *Capacity) failedWrite(existing map[string]types.AttributeValue) {
	c.WriteUnits += writeUnits(ItemSize(existing))
}

// read counts a strongly consistent read of item.
func (c *Capacity) read(item map[string]types.AttributeValue) {
	c.ReadUnits += max(1, math.Ceil(float64(ItemSize(item))/4096))
}

func writeUnits(size int) float64 { return max(1, math.Ceil(float64(size)/1024)) }

func indexed(item map[string]types.AttributeValue) bool {
	_, ok := item[constructs.ListPartition]
	return ok
}

// ItemSize is the size of item in bytes as DynamoDB counts it.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return numberSize(x.Value)
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += len(k) + valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += valueSize(e) + 1
		}
		return n
	}
	return 0
}

// numberSize is 1 byte per two significant digits plus 1 (leading and
// trailing zeros are not significant).
func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	mant, _, _ := strings.Cut(strings.ToLower(s), "e")
	digits := strings.Replace(mant, ".", "", 1)
	digits = strings.Trim(digits, "0")
	if digits == "" {
		return 2
	}
	return (len(digits)+1)/2 + 1
}
