// Package report writes what `twinstack bench` measured: results.json
// (everything, machine-readable), requests.csv (one row per request, raw),
// report.md and report.html (one self-contained page: no external scripts,
// styles or fonts; charts are inline SVG drawn by this package).
//
// The numbers in results.json are the ones bench computed; requests.csv
// holds exactly the values they were computed from (latency in whole
// microseconds), so anyone can recompute them. ReadCSV reads the file back.
//
// This package renders plain values: it must not import the driver's
// transport, the AWS SDK or the local cloud.
package report
