// Package prices ships twinstack's default price data: AWS list prices for
// one region, with the date and source they were taken from. internal/cost
// parses them; users pass their own file with `bench --prices FILE`.
//
// It holds data only and imports nothing but embed.
package prices
