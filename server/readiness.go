package server

import (
	"context"

	"github.com/fieldlink/fieldlink/httpapi"
)

// readiness returns the checks of GET /readyz: a ping of the database, and
// whether the job queue runs, which Start and Shutdown record in
// queueRunning.
func (s *Server) readiness() *httpapi.Readiness {
	return &httpapi.Readiness{
		Database:         s.db.Backend(),
		PingFunc:         s.pingDatabase,
		QueueRunningFunc: s.queueRunning.Load,
	}
}

// pingDatabase sends the database a round trip. On PostgreSQL it pings
// through the pgx pool that River and the change listener share, whose
// Acquire replaces an idle connection that the server closed, so one
// dropped connection does not fail the check.
func (s *Server) pingDatabase(ctx context.Context) error {
	if pool := s.db.Pgx(); pool != nil {
		return pool.Ping(ctx)
	}
	return s.db.SQL().PingContext(ctx)
}
