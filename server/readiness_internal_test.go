package server

import (
	"context"
	"testing"
	"time"
)

func TestQueueRunningUntilShutdown(t *testing.T) {
	srv, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: "readiness-test-admin-token"})
	if err != nil {
		t.Fatal(err)
	}
	running := srv.readiness().QueueRunningFunc
	if !running() {
		t.Errorf("queue check after Start = not running, want running")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if running() {
		t.Errorf("queue check after Shutdown = running, want not running")
	}
}
