// Package metrics exposes fieldlink's Prometheus metrics. Values that live
// in the database, such as when secrets expire, are read at scrape time, so
// every replica reports the same figures without keeping them in sync.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/expiry"
)

// Options configures the metrics handler.
type Options struct {
	Datasources fieldlink.DatasourceStore
	// Now returns the current time. Defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Handler returns the /metrics handler with fieldlink's metrics and the Go
// runtime's.
func Handler(opts Options) http.Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&datasourceCollector{opts: opts},
	)
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError)})
}

var (
	secretExpiryDesc = prometheus.NewDesc(
		"fieldlink_secret_expiry_seconds",
		"Seconds until a datasource's secret or certificate expires; negative once expired.",
		[]string{"datasource", "datasource_id", "secret"}, nil,
	)
	unhealthyDesc = prometheus.NewDesc(
		"fieldlink_datasource_unhealthy",
		"1 while a configuration error (wrong or expired secret, unknown app or tenant, bad scope) stops a datasource's requests, else 0.",
		[]string{"datasource", "datasource_id"}, nil,
	)
)

// datasourceCollector reads the datasources from the store at each scrape.
type datasourceCollector struct {
	opts Options
}

// Describe sends the metric descriptions.
func (c *datasourceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- secretExpiryDesc
	ch <- unhealthyDesc
}

// Collect sends one expiry sample per secret or certificate with a known
// expiry and one health sample per datasource.
func (c *datasourceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	all, err := c.opts.Datasources.ListDatasources(ctx)
	if err != nil {
		c.opts.Logger.Error("list datasources for metrics", "error", err)
		ch <- prometheus.NewInvalidMetric(secretExpiryDesc, err)
		return
	}

	now := c.opts.Now()
	for _, ds := range all {
		for _, e := range expiry.Of(ds) {
			ch <- prometheus.MustNewConstMetric(secretExpiryDesc, prometheus.GaugeValue,
				e.ExpiresAt.Sub(now).Seconds(), ds.Name, ds.ID, e.Secret)
		}
		unhealthy := 0.0
		if ds.Health.Unhealthy && ds.Health.ConfigVersion.Equal(ds.UpdatedAt) {
			unhealthy = 1
		}
		ch <- prometheus.MustNewConstMetric(unhealthyDesc, prometheus.GaugeValue, unhealthy, ds.Name, ds.ID)
	}
}
