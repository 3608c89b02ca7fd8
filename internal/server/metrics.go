package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type metrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	bytes      prometheus.Counter
	dependency *prometheus.HistogramVec
	ingests    *prometheus.CounterVec
	capacity   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinstack_http_requests_total", Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "twinstack_http_request_duration_seconds", Help: "HTTP request latency by route template and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "twinstack_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "twinstack_ingested_bytes_total", Help: "Bytes of images stored.",
		}),
		dependency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "twinstack_dependency_duration_seconds", Help: "Time spent per ingest on the origin download, S3 and DynamoDB.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"dependency"}),
		ingests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinstack_ingests_total", Help: "POST /images outcomes by code (success, replayed or an error code).",
		}, []string{"outcome"}),
		capacity: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinstack_dynamodb_capacity_units_total", Help: "DynamoDB capacity units consumed by ingests (write, index_write, read), counted from the items written.",
		}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inFlight, m.bytes, m.dependency, m.ingests, m.capacity,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
