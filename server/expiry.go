package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/expiry"
)

// expiryCheckInterval is how often the log is told about secrets and
// certificates that expire soon.
const expiryCheckInterval = 12 * time.Hour

// watchExpiry logs a warning for every secret or certificate that expires
// within expiry.WarnWithin or has expired: once at start, then every
// expiryCheckInterval until ctx ends.
func watchExpiry(ctx context.Context, store fieldlink.DatasourceStore, logger *slog.Logger) {
	ticker := time.NewTicker(expiryCheckInterval)
	defer ticker.Stop()

	for {
		logExpiring(ctx, store, logger, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// logExpiring logs one warning per expiring or expired secret and returns
// how many it logged.
func logExpiring(ctx context.Context, store fieldlink.DatasourceStore, logger *slog.Logger, now time.Time) int {
	all, err := store.ListDatasources(ctx)
	if err != nil {
		if ctx.Err() == nil {
			logger.Error("list datasources to check secret expiry", "error", err)
		}
		return 0
	}

	logged := 0
	for _, ds := range all {
		for _, e := range expiry.Of(ds) {
			status := e.Status(now)
			if status == expiry.StatusOK {
				continue
			}
			logger.Warn("datasource secret "+status+": create a new one and update the datasource",
				"datasource", ds.ID, "name", ds.Name, "secret", e.Secret,
				"expiresAt", e.ExpiresAt.UTC().Format(time.RFC3339), "daysLeft", e.DaysLeft(now))
			logged++
		}
	}
	return logged
}
