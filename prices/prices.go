// Package prices ships twinstack's default price data: AWS list prices for
// one region, with the date and source they were taken from. internal/cost
// parses them; users pass their own file with `bench --prices FILE`.
//
// It holds data only and imports nothing but embed.
package prices

import _ "embed"

// DefaultName names the default price file, as reports cite it.
const DefaultName = "prices/us-east-1.json"

//go:embed us-east-1.json
var usEast1 []byte

// Default returns a copy of the default price file's bytes.
func Default() []byte { return append([]byte(nil), usEast1...) }
