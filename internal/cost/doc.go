// Package cost turns measured load into money: it parses a price file (AWS
// list prices for one region, with their date and source) and estimates, for
// one deployment of the system, the cost per 1,000 requests, per month at
// the measured rate, and the idle cost of what runs 24/7 (instances, their
// disks and addresses, the load balancer). Every estimate carries the
// assumptions it rests on, in words, so reports can print them.
//
// Price-file problems are *PriceError values with a stable Code and the
// JSON path of the offending field, wrapped in an apperr.InvalidConfig.
//
// This package is arithmetic over plain values: it must not import bench,
// report, the AWS SDK or anything that does I/O beyond reading the price
// file it is given.
package cost
